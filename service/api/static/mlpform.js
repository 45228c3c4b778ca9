// The form for a common network, a multilayer perceptron: hidden widths, activation,
// dropout and the usual training settings. Builds the POST /v1/jobs body and says which
// input a 422's field path (e.g. "network.layers[2].units") belongs to.

import { h } from "./dom.js";
import { field, numberOrText } from "./forms.js";

const ACTIVATIONS = ["relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", "softplus"];
const OPTIMIZERS = ["adam", "adamw", "sgd", "rmsprop", "adagrad"];
const TRAINING_FIELDS = {
  "training.epochs": "epochs", "training.batch_size": "batch_size",
  "training.optimizer.learning_rate": "learning_rate", "training.optimizer": "optimizer",
  "training.validation_split": "validation_split", "training.early_stopping.patience": "patience",
  "training.early_stopping": "patience", dataset_id: "dataset",
};

function text(name, value, hint) {
  return h("input", { type: "text", name, value, inputmode: hint || "decimal", autocomplete: "off" });
}

function choice(name, options, value) {
  return h("select", { name }, options.map((o) => h("option", { value: o, selected: o === value }, o.replace(/_/g, " "))));
}

// The inputs (without the data set picker), laid out in a grid.
export function mlpFields() {
  return h("div", { class: "fields", id: "mlp-fields" },
    field("hidden", "hidden layer widths", text("hidden", "64, 32", "text"), "comma separated; empty for a linear model"),
    field("activation", "activation", choice("activation", ACTIVATIONS, "relu")),
    field("dropout", "dropout after each hidden layer", text("dropout", "0")),
    field("epochs", "epochs", text("epochs", "50", "numeric")),
    field("batch_size", "batch size", text("batch_size", "32", "numeric")),
    field("optimizer", "optimizer", choice("optimizer", OPTIMIZERS, "adam")),
    field("learning_rate", "learning rate", text("learning_rate", "0.001")),
    field("validation_split", "validation split", text("validation_split", "0.2"), "fraction of rows held out"),
    field("patience", "early stopping patience", text("patience", "", "numeric"), "epochs without improvement; empty: off"));
}

// The last layer for the data set: one softmax unit per class, or one linear unit.
export function outputLayer(dataset) {
  return dataset && dataset.task === "classification"
    ? { type: "dense", units: (dataset.classes || []).length, activation: "softmax" }
    : { type: "dense", units: 1, activation: "linear" };
}

// The request body from the form, and the role of each layer (for placing errors).
// dataset: the chosen DatasetOut (its task and classes give the output layer).
export function mlpBody(form, dataset) {
  const v = (name) => form.elements[name].value;
  const widths = v("hidden").split(",").map((s) => s.trim()).filter(Boolean).map(numberOrText);
  const dropout = numberOrText(v("dropout"));
  const layers = [], roles = [];
  for (const units of widths) {
    layers.push({ type: "dense", units, activation: v("activation") });
    roles.push("hidden");
    if (dropout !== undefined && dropout !== 0) {
      layers.push({ type: "dropout", rate: dropout });
      roles.push("dropout");
    }
  }
  layers.push(outputLayer(dataset));
  roles.push(null);
  const training = {
    epochs: numberOrText(v("epochs")), batch_size: numberOrText(v("batch_size")),
    optimizer: { type: v("optimizer"), learning_rate: numberOrText(v("learning_rate")) },
    validation_split: numberOrText(v("validation_split")),
  };
  const patience = numberOrText(v("patience"));
  if (patience !== undefined) training.early_stopping = { patience };
  for (const [k, value] of Object.entries(training)) if (value === undefined) delete training[k];
  return { body: { dataset_id: dataset ? dataset.id : v("dataset"), network: { layers }, training }, roles };
}

// The form input a 422 error's field path belongs to, or null (shown above the button).
export function mlpFieldFor(path, roles) {
  if (!path) return null;
  const layer = /^network\.layers\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (layer) {
    const role = roles[Number(layer[1])];
    if (role === "hidden" && layer[2] === "activation") return "activation";
    return role;
  }
  const key = Object.keys(TRAINING_FIELDS).find((k) => path === k || path.startsWith(`${k}.`));
  return key ? TRAINING_FIELDS[key] : null;
}
