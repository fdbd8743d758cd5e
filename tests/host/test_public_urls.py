"""The public-URL check used for URLs that arrive from outside and reach agents or providers."""
import pytest

from host.public_urls import public_https_url

ACCEPTED = [
    "https://cdn.livechat-files.com/api/file/lc/att/8948324/45a3581b59a7295145c3825c86ec7ab3/image.png",
    "https://cdn.files-text.com/api/file/lc/att/1/2/report.pdf?download=1",
    "https://CDN.Example.COM:443/x.png",
    "https://8.8.8.8/x.png",
    "https://[2001:4860:4860::8888]/x.png",
    "https://bücher.de/cover.jpg",
]

REFUSED = {
    "http://example.com/x.png": "only https",
    "ftp://example.com/x.png": "only https",
    "data:image/png;base64,AAAA": "only https",
    "//example.com/x.png": "only https",
    "https://user@example.com/x.png": "user name or password",
    "https://:pw@example.com/x.png": "user name or password",
    "https://example.com:8080/x.png": "standard https port",
    "https://example.com:99999/x.png": "not a well-formed URL",
    "https:///x.png": "names no host",
    "https://127.0.0.1/x.png": "not a public address",
    "https://192.168.1.10/x.png": "not a public address",
    "https://100.64.0.1/x.png": "not a public address",
    "https://[fe80::1]/x.png": "not a public address",
    "https://[::ffff:10.0.0.1]/x.png": "not a public address",
    "https://0.0.0.0/x.png": "not a public address",
    "https://127.1/x.png": "not a public host name",
    "https://0x7f.1/x.png": "not a public host name",
    "https://intranet/x.png": "not a public host name",
    "https://printer.local/x.png": "not a public host name",
    "https://db.localhost/x.png": "not a public host name",
    "https://router.home.arpa/x.png": "not a public host name",
    "https://a..b.com/x.png": "not a valid host name",
    "https://example.com/x\n.png": "control characters",
    "https://example.com/" + "a" * 2100: "longer than 2048",
    "": "no address",
}


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_https_urls_are_accepted_unchanged(url):
    assert public_https_url(url) == url


@pytest.mark.parametrize("url,reason", REFUSED.items())
def test_other_urls_are_refused_with_a_reason(url, reason):
    with pytest.raises(ValueError, match=reason):
        public_https_url(url)
