from __future__ import annotations

import pytest

from auth_service.context import make_hasher
from auth_service.passwords.hashing import PasswordHasher
from auth_service.passwords.policy import check_password
from auth_service.settings import AuthSettings
from crm_common.errors import ValidationFailed


def test_production_defaults_follow_owasp_argon2id_guidance() -> None:
    settings = AuthSettings.model_construct()
    hasher = make_hasher(
        settings.model_copy(update={"argon2_memory_kib": 19456, "argon2_time_cost": 2, "argon2_parallelism": 1})
    )
    fields = AuthSettings.model_fields

    encoded = hasher.hash_sync("a long unique passphrase")

    assert (fields["argon2_memory_kib"].default, fields["argon2_time_cost"].default) == (19456, 2)
    assert fields["argon2_parallelism"].default == 1
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_verify_accepts_the_password_and_nothing_else() -> None:
    hasher = PasswordHasher(memory_kib=1024, time_cost=1, parallelism=1)
    encoded = hasher.hash_sync("a long unique passphrase")

    assert hasher.verify_sync(encoded, "a long unique passphrase")
    assert not hasher.verify_sync(encoded, "a long unique passphrasE")
    assert not hasher.verify_sync(None, "a long unique passphrase")
    assert not hasher.verify_sync("not-a-hash", "a long unique passphrase")


def test_a_hash_made_with_weaker_parameters_needs_a_rehash() -> None:
    weak = PasswordHasher(memory_kib=1024, time_cost=1, parallelism=1)
    strong = PasswordHasher(memory_kib=2048, time_cost=2, parallelism=1)

    assert strong.needs_rehash(weak.hash_sync("a long unique passphrase"))
    assert not weak.needs_rehash(weak.hash_sync("a long unique passphrase"))


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10"),
        ("x" * 129, "at most 128"),
        ("password123", "too common"),
        ("aaaaaaaaaaaaaa", "too common"),
        ("janedoe-is-great", "email"),
    ],
)
def test_the_policy_refuses_weak_passwords(password: str, problem: str) -> None:
    with pytest.raises(ValidationFailed, match=problem):
        check_password(password, email="janedoe@example.com", min_length=10, max_length=128)


def test_the_policy_accepts_a_long_passphrase() -> None:
    check_password("correct horse battery staple", email="janedoe@example.com", min_length=10, max_length=128)


def test_the_policy_never_echoes_the_password() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password("password123", email="janedoe@example.com", min_length=10, max_length=128)
    assert "password123" not in caught.value.detail
