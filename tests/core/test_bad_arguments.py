"""Bad arguments to the public API fail at once, with a TypeError or ValueError that names the argument.

The basic cases (a provider without request, negative delays, factor < 1,
max_attempts < 1, pending_queue_size < 1, a storage missing a method) are in
test_bad_input.py, test_reconnect.py and test_expiry.py; these are the gaps:
values of the wrong type, booleans passed as counts, an infinite delay, and a
channel factory that is not callable.
"""

from __future__ import annotations

import math

import pytest

import pysession
from pysession.browser import BroadcastOptions
from pysession.testing import MockWallet


def names(argument):
    """pytest.raises for a TypeError or ValueError whose message names ``argument``."""
    return pytest.raises((TypeError, ValueError), match=argument)


@pytest.mark.parametrize(("argument", "value"), [("base_delay_ms", "500"), ("factor", None), ("max_delay_ms", [1])])
def test_a_retry_policy_number_of_the_wrong_type_is_refused_by_name(argument, value):
    with names(argument):
        pysession.RetryPolicy(**{argument: value})


def test_a_ttl_of_the_wrong_type_is_refused_by_name():
    with names("ttl_ms"):
        pysession.ExpiryOptions(ttl_ms="60000")


def test_an_attempt_number_of_the_wrong_type_is_refused_by_name():
    with names("attempt"):
        pysession.compute_backoff_delay(pysession.DEFAULT_RETRY_POLICY, "1")


def test_max_attempts_true_is_refused():
    with names("max_attempts"):
        pysession.RetryPolicy(max_attempts=True)


def test_a_pending_queue_size_of_true_is_refused():
    with names("pending_queue_size"):
        pysession.ExpiryOptions(pending_queue_size=True)


def test_an_infinite_delay_is_refused_up_front():
    with names("max_delay_ms"):
        policy = pysession.RetryPolicy(max_delay_ms=math.inf, max_attempts=5000)
        pysession.compute_backoff_delay(policy, 2000)  # what it does when accepted: OverflowError


def test_a_channel_factory_that_is_not_callable_is_refused():
    with names("channel_factory"):
        pysession.create_session_store(
            MockWallet(), storage=pysession.MemoryStorage(), broadcast=BroadcastOptions(channel_factory="channel")
        )


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: pysession.browser.JsProvider(object()), "request"),
        (lambda: pysession.browser.create_cookie_storage(max_age=-1), "max_age"),
        (lambda: pysession.browser.create_cookie_storage(same_site="sometimes"), "same_site"),  # type: ignore[arg-type]
    ],
    ids=["js-provider-without-request", "cookie-max-age", "cookie-same-site"],
)
def test_each_bad_argument_is_named_at_once(call, argument):
    with names(argument):
        call()


def test_a_provider_that_is_none_is_refused_saying_what_it_got_and_what_it_needs():
    with pytest.raises(TypeError) as refused:
        pysession.create_session_store(None)
    message = str(refused.value)
    assert "got NoneType" in message
    assert all(name in message for name in ("request", "on", "remove_listener"))
