"""The password policy (NIST SP 800-63B §3.1.1.2): length over composition rules, no known-weak passwords."""

from __future__ import annotations

from crm_common.errors import ValidationFailed

# A short list of the most common passwords and patterns (from public breach corpora); a deployment that wants
# more plugs in a breached-password check here.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "123456789",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty123",
        "qwerty12345",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "iloveyou123",
        "admin12345",
        "administrator",
        "letmein123",
        "welcome123",
        "changeme123",
        "abc1234567",
        "football123",
        "monkey12345",
        "0987654321",
        "1111111111",
        "aaaaaaaaaa",
    }
)


def check_password(password: str, *, email: str, min_length: int, max_length: int) -> None:
    """Raise ``ValidationFailed`` saying what is wrong with ``password``; never echo it."""
    if len(password) < min_length:
        raise ValidationFailed(f"password must be at least {min_length} characters long")
    if len(password) > max_length:
        raise ValidationFailed(f"password must be at most {max_length} characters long")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValidationFailed("password is too common or too simple")
    local_part = email.split("@", 1)[0].lower()
    if lowered == email.lower() or (len(local_part) >= 4 and local_part in lowered):
        raise ValidationFailed("password must not contain the email address")
