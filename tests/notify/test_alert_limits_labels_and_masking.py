"""The notifier's rules: one alert per key per window (the next says how many were suppressed),
a cap per minute, a label on every alert, secrets masked in texts, URLs and the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from trader_cli.notify.alerts import Alert, AlertLevel, circuit, label
from trader_cli.notify.notifier import Notifier, SentLog
from trader_cli.notify.urls import mask_url, split_urls
from trader_cli.redaction import REGISTRY, redact, url_secret_parts


class Recording:
    """A transport that keeps what it was given (the receiver tests use real HTTP)."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail = fail

    def send(self, url: str, title: str, body: str, level: AlertLevel) -> str | None:
        self.sent.append((url, title, body))
        return "refused" if self.fail else None


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def make(**kw) -> tuple[Notifier, Recording, Clock]:
    transport, clock = Recording(), Clock()
    n = Notifier(["json://127.0.0.1:1/x"], label="PAPER ib DU****567", transport=transport,
                 now=clock, **kw)
    return n, transport, clock


def alert(key: str = "k", body: str = "body") -> Alert:
    return Alert(key, f"title {key}", body)


def test_a_repeat_inside_the_window_is_sent_once_and_counted_after_it() -> None:
    n, sent, clock = make(dedup_seconds=600, max_per_minute=100)
    assert n.notify(alert("venue_down")) is True
    clock.t += 60
    assert n.notify(alert("venue_down")) is False
    clock.t += 60
    assert n.notify(alert("venue_down")) is False
    assert n.notify(alert("kill_switch")) is True  # another event goes out at once
    clock.t += 600
    assert n.notify(alert("venue_down")) is True  # the window is over
    assert n.flush(5)
    n.close()
    titles = [t for _, t, _ in sent.sent]
    assert titles == ["trader [PAPER ib DU****567] title venue_down",
                      "trader [PAPER ib DU****567] title kill_switch",
                      "trader [PAPER ib DU****567] title venue_down"]
    assert sent.sent[2][2] == "body\n(2 repeat(s) of this alert suppressed in the last 10 min)"
    assert "suppressed" not in sent.sent[0][2]


def test_more_than_the_cap_a_minute_is_dropped_and_the_next_one_says_how_many() -> None:
    n, sent, clock = make(dedup_seconds=600, max_per_minute=2)
    results = [n.notify(alert(f"order:{i}")) for i in range(5)]
    assert results == [True, True, False, False, False]
    clock.t += 61
    assert n.notify(alert("order:9"))
    assert n.flush(5)
    n.close()
    assert len(sent.sent) == 3
    assert sent.sent[2][2].endswith("(3 other alert(s) suppressed by the limit of 2 a minute)")
    # a dropped alert was not "sent": the same event may go out once the minute is over
    assert n.notify(alert("order:3"))


def test_the_window_holds_across_processes_through_the_app_dir(tmp_path: Path) -> None:
    log = tmp_path / "notify-sent.json"
    clock = Clock()
    first = Notifier(["json://h/x"], label="L", transport=Recording(), now=clock,
                     sent_log=SentLog(log), dedup_seconds=900)
    assert first.notify(alert("resync:unexplained:BHP/AUD=7/10"))
    first.close()
    clock.t += 300  # the resync timer's next run, a new process
    second = Notifier(["json://h/x"], label="L", transport=Recording(), now=clock,
                      sent_log=SentLog(log), dedup_seconds=900)
    assert not second.notify(alert("resync:unexplained:BHP/AUD=7/10"))
    other_scope = Notifier(["json://h/x"], label="LIVE ib U****123", transport=Recording(),
                           now=clock, sent_log=SentLog(log), dedup_seconds=900)
    assert other_scope.notify(alert("resync:unexplained:BHP/AUD=7/10"))  # keys are per label
    clock.t += 900
    assert second.notify(alert("resync:unexplained:BHP/AUD=7/10"))
    second.close()
    other_scope.close()


def test_a_failing_url_is_logged_masked_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    transport = Recording(fail=True)
    n = Notifier(["tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567"],
                 transport=transport)
    assert n.notify(alert())
    assert n.flush(5)
    n.close()
    assert n.failed == 1
    (record,) = [r for r in caplog.records if r.name == "trader.notify"]
    assert record.getMessage() == "alert 'title k' not delivered to tgram://***/***: refused"


def test_texts_are_redacted_and_labelled() -> None:
    REGISTRY.add_secret("hunter2-secret-value")
    n, sent, _ = make()
    n.notify(Alert("x", "login failed", "password=abc123 key hunter2-secret-value for DU7654321"))
    assert n.flush(5)
    n.close()
    ((_, title, body),) = sent.sent
    assert title == "trader [PAPER ib DU****567] login failed"
    assert body == "password=***REDACTED*** key ***REDACTED*** for DU****321"


def test_the_label_shows_badge_venue_and_the_account_redacted() -> None:
    assert label("LIVE", "ib", "U7654321") == "LIVE ib U****321"
    assert label("SIMULATED", "gemini-sim", "primary") == "SIMULATED gemini-sim primary"
    assert label("PAPER", "ib", None) == "PAPER ib"


def test_half_open_is_no_alert() -> None:
    assert circuit("market_data", "open", "half_open", "backoff elapsed") is None
    opened = circuit("market_data", "closed", "open", "3 consecutive failures")
    assert opened is not None and opened.key == "circuit:market_data:open"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://alerts:pa55w0rd@127.0.0.1:8080/hooks/T0ken", "json://***@127.0.0.1:8080/***"),
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567", "tgram://***/***"),
        ("ntfy://my-private-topic", "ntfy://***"),
        ("mailto://me:app-password@gmail.com", "mailto://***@gmail.com"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack://***/***"),
        ("ntfys://ntfy.example.com/alerts?token=tk_abc", "ntfys://ntfy.example.com/***"),
        ("not a url", "***"),
    ],
)
def test_urls_are_shown_without_their_tokens(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_every_token_of_notify_urls_is_registered_for_redaction(clean_env: Path,
                                                                monkeypatch) -> None:
    from trader_cli.config import load_settings

    urls = ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567, "
            "json://u:pa55w0rdSecret@hooks.example.com/hook/T0kenXYZ123 ntfy://my-topic")
    monkeypatch.setenv("NOTIFY_URLS", urls)
    load_settings()
    for secret in ("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "pa55w0rdSecret", "T0kenXYZ123",
                   "my-topic", "-1001234567"):
        assert secret not in redact(f"error near {secret}!"), secret
    assert redact("POST to hooks.example.com /hook failed") == (
        "POST to hooks.example.com /hook failed")  # host names and plain words stay
    assert split_urls(urls) == [u.strip(",") for u in urls.split()]
    assert "hooks.example.com" not in url_secret_parts(split_urls(urls)[1])


def test_notify_urls_without_a_scheme_is_refused_without_echoing_it(clean_env: Path,
                                                                  monkeypatch) -> None:
    from trader_cli.config import load_settings
    from trader_cli.errors import ConfigError

    monkeypatch.setenv("NOTIFY_URLS", "ntfy://ok-topic, 123456789:AAHdqTcvCH1vGWJxfSeof")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "NOTIFY_URLS: URL number 2 has no scheme://" in caught.value.message
    assert "AAHdqTcvCH1vGWJxfSeof" not in str(caught.value) + (caught.value.hint or "")
