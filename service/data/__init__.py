"""Dataset parsing (CSV, NPZ, JSON) and preprocessing (target encoding, scaling, splits).

Pure functions over bytes / Python objects / NumPy arrays; every problem with user data
raises DatasetError(message, row=..., column=...).
"""

from service.data.csv_parser import parse_csv
from service.data.dataset import ParsedDataset
from service.data.errors import DatasetError
from service.data.instances import format_instances
from service.data.json_parser import parse_json
from service.data.npz_parser import parse_npz
from service.data.scaling import Standardizer, TargetScaler
from service.data.split import train_val_split
from service.data.target import EncodedTarget, encode_target

__all__ = [
    "DatasetError",
    "EncodedTarget",
    "ParsedDataset",
    "Standardizer",
    "TargetScaler",
    "encode_target",
    "format_instances",
    "parse_csv",
    "parse_json",
    "parse_npz",
    "train_val_split",
]
