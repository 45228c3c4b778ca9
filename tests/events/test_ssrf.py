"""The SSRF guard: http(s) only, and no loopback, private, link-local or multicast address,
whether written as an address or as a name that resolves to one."""

from __future__ import annotations

import pytest

from service.events.ssrf import UnsafeUrl, check_url, forbidden_kind

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:10.0.0.1", "private"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("100.64.0.1", "non-public"),  # carrier-grade NAT
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2001:4860:4860::8888"]


@pytest.mark.parametrize(("address", "kind"), FORBIDDEN)
def test_forbidden_addresses_are_named(address, kind):
    assert forbidden_kind(address) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert forbidden_kind(address) is None


def fake_dns(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve


DNS = fake_dns(
    {
        "hooks.example.com": ["93.184.215.14"],
        "internal.example.com": ["10.0.0.7"],
        "metadata.example.com": ["169.254.169.254"],
        "sneaky.example.com": ["93.184.215.14", "127.0.0.1"],  # one bad answer is enough
        "v6.example.com": ["2606:4700:4700::1111"],
        "v6-loop.example.com": ["::1"],
        "mcast.example.com": ["ff05::2"],
    }
)


def test_a_public_name_passes_with_its_address_and_port():
    target = check_url("https://hooks.example.com/in?x=1", allow_private=False, resolver=DNS)
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 443)
    assert target.address == "93.184.215.14"
    assert check_url("http://v6.example.com:8080/", allow_private=False, resolver=DNS).port == 8080


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://internal.example.com/", "10.0.0.7, a private address"),
        ("http://metadata.example.com/latest", "169.254.169.254, a link-local address"),
        ("http://sneaky.example.com/", "127.0.0.1, a loopback address"),
        ("https://v6-loop.example.com/", "::1, a loopback address"),
        ("https://mcast.example.com/", "ff05::2, a multicast address"),
    ],
)
def test_names_resolving_inside_are_refused(url, fragment):
    with pytest.raises(UnsafeUrl, match="resolves to") as refused:
        check_url(url, allow_private=False, resolver=DNS)
    assert fragment in str(refused.value)
    assert "BACKPROP_WEBHOOK_ALLOW_PRIVATE" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://[::1]/hook",
        "http://localhost/hook",  # the real resolver: localhost is loopback
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f.1/",
        "http://[::ffff:7f00:1]/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
    ],
)
def test_addresses_in_urls_are_refused_with_the_real_resolver(url):
    with pytest.raises(UnsafeUrl, match="resolves to"):
        check_url(url, allow_private=False)


def test_allow_private_lets_loopback_through():
    assert check_url("http://127.0.0.1:9/x", allow_private=True).address == "127.0.0.1"
    target = check_url("http://internal.example.com/", allow_private=True, resolver=DNS)
    assert target.address == "10.0.0.7"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://hooks.example.com/", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://hooks.example.com:70/", "http or https"),
        ("hooks.example.com/path", "http or https"),
        ("http:///nohost", "no host"),
        ("http://hooks.example.com:99999/", "not a valid URL"),
        ("http://nowhere.invalid/", "does not resolve"),
    ],
)
def test_other_schemes_and_broken_urls_are_refused(url, fragment):
    with pytest.raises(UnsafeUrl, match=fragment):
        check_url(url, allow_private=True, resolver=DNS)
