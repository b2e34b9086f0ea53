"""The local users file: loading, file:line errors, lookups and authentication."""

from __future__ import annotations

from pathlib import Path

import pytest

from smart_proxy.identity import LocalUser, UserDirectory, UsersFileError, hash_secret
from smart_proxy.identity.users import account_key, normalize_username

HASH = hash_secret("pw-of-everyone", n=16, r=1, p=1)
TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DEMO = Path("smart_proxy/demo/users.yaml")


def user_yaml(**fields: str) -> str:
    """One ``users:`` entry: 4 lines plus one per extra field."""
    values = {
        "username": "amy",
        "password_hash": HASH,
        "fhir_user": "Patient/p1",
        "display_name": "Amy",
        **fields,
    }
    lines = [f"{key}: {value}" for key, value in values.items() if value != "<omit>"]
    return "  - " + "\n    ".join(lines) + "\n"


def users_file(*entries: str) -> str:
    return "users:\n" + "".join(entries)


def errors_of(text: str) -> list[str]:
    with pytest.raises(UsersFileError) as caught:
        UserDirectory.from_text(text, "users.yaml")
    return [str(problem) for problem in caught.value.errors]


def test_a_valid_file_loads_every_field() -> None:
    text = users_file(
        user_yaml(patients="[p2, p3]", totp_secret=TOTP),
        user_yaml(username="linh", fhir_user="Practitioner/prac-1", display_name="Dr. Linh"),
        user_yaml(username="gran", fhir_user="RelatedPerson/rp-1", patients="[p2]"),
    )
    directory = UserDirectory.from_text(text)
    assert len(directory) == 3
    assert directory.get("amy") == LocalUser(
        username="amy",
        fhir_user="Patient/p1",
        display_name="Amy",
        patients=("p1", "p2", "p3"),
        password_hash=HASH,
        totp_secret=TOTP,
    )
    linh = directory.get("linh")
    assert linh is not None and linh.patients == () and linh.totp_secret is None
    assert (linh.resource_type, linh.resource_id) == ("Practitioner", "prac-1")
    assert [user.username for user in directory] == ["amy", "linh", "gran"]


@pytest.mark.parametrize(
    ("patients", "expected"),
    [
        ("<omit>", ("p1",)),
        ("[]", ("p1",)),
        ("[p1]", ("p1",)),
        ("[p2]", ("p1", "p2")),
        ("[p2, p1]", ("p1", "p2")),
    ],
)
def test_a_patient_user_always_acts_for_themselves(
    patients: str, expected: tuple[str, ...]
) -> None:
    user = UserDirectory.from_text(users_file(user_yaml(patients=patients))).get("amy")
    assert user is not None and user.patients == expected
    assert user.may_act_for("p1") is True
    assert user.may_act_for("p9") is False


@pytest.mark.parametrize(
    ("asked", "found"),
    [("amy", True), ("AMY", True), ("Amy", True), ("ａｍｙ", True), ("amy ", False), ("am", False)],
)
def test_usernames_match_case_insensitively(asked: str, found: bool) -> None:
    directory = UserDirectory.from_text(users_file(user_yaml(username="Amy")))
    user = directory.get(asked)
    assert (user is not None) is found
    if user is not None:
        assert user.username == "Amy"


def test_normalisation_and_account_keys() -> None:
    assert normalize_username("STRASSE") == normalize_username("straße") == "strasse"
    assert account_key("Amy") == account_key("amy")
    assert account_key("amy") != account_key("amy2")
    assert "amy" not in account_key("amy") and len(account_key("amy")) == 64


def test_repr_hides_the_password_hash_and_totp_secret() -> None:
    user = UserDirectory.from_text(users_file(user_yaml(totp_secret=TOTP))).get("amy")
    assert repr(user) == (
        "LocalUser(username='amy', fhir_user='Patient/p1', display_name='Amy', patients=('p1',))"
    )
    assert HASH not in str(user) and TOTP not in str(user)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["users.yaml:1: the file is empty: expected 'users: [...]'"]),
        ("- a\n", ["users.yaml:1: expected a mapping, got a list"]),
        ("users: {}\n", ["users.yaml:1: users: expected a list, got a mapping"]),
        (
            "people: []\n",
            [
                "users.yaml:1: people: unknown key 'people'",
                "users.yaml:1: missing required key 'users'",
            ],
        ),
        (
            "users: [\n",
            [
                (
                    "users.yaml:2: YAML syntax error: while parsing a flow node:"
                    " expected the node content, but found '<stream end>'"
                )
            ],
        ),
        (
            users_file(user_yaml(username="<omit>")),
            ["users.yaml:2: users[0]: missing required key 'username'"],
        ),
        (
            users_file(user_yaml(password_hash="<omit>", display_name="<omit>")),
            [
                "users.yaml:2: users[0]: missing required key 'password_hash'",
                "users.yaml:2: users[0]: missing required key 'display_name'",
            ],
        ),
        (
            users_file(user_yaml(password="hunter2")),
            [
                (
                    "users.yaml:6: users[0].password: unknown key 'password'"
                    " (store only password_hash, never the password itself)"
                )
            ],
        ),
        (users_file(user_yaml(role="admin")), ["users.yaml:6: users[0].role: unknown key 'role'"]),
        (
            users_file(user_yaml(password_hash="hunter2")),
            [
                (
                    "users.yaml:3: users[0].password_hash: must be a password hash made by"
                    " 'smart-proxy users hash-password', never a password"
                )
            ],
        ),
        (
            users_file(user_yaml(username="'-amy'")),
            [
                (
                    "users.yaml:2: users[0].username: '-amy' is not a valid username:"
                    " 1-128 letters, digits, '.', '_', '@', '+' or '-'"
                )
            ],
        ),
        (
            users_file(user_yaml(fhir_user="PractitionerRole/x")),
            [
                (
                    "users.yaml:4: users[0].fhir_user: 'PractitionerRole/x' is not Patient/<id>,"
                    " Practitioner/<id> or RelatedPerson/<id>"
                )
            ],
        ),
        (
            users_file(user_yaml(fhir_user="https://ehr.example/fhir/Patient/p1")),
            [
                (
                    "users.yaml:4: users[0].fhir_user: 'https://ehr.example/fhir/Patient/p1' is not"
                    " Patient/<id>, Practitioner/<id> or RelatedPerson/<id>"
                )
            ],
        ),
        (
            users_file(user_yaml(display_name="''")),
            ["users.yaml:5: users[0].display_name: must not be empty"],
        ),
        (
            users_file(user_yaml(display_name="'" + "x" * 201 + "'")),
            ["users.yaml:5: users[0].display_name: is longer than 200 characters"],
        ),
        (
            users_file(user_yaml(display_name="42")),
            ["users.yaml:5: users[0].display_name: expected a string, got 42"],
        ),
        (
            users_file(user_yaml(patients="p2")),
            ["users.yaml:6: users[0].patients: expected a list, got 'p2'"],
        ),
        (
            users_file(user_yaml(patients="[p2, 'a b']")),
            ["users.yaml:6: users[0].patients[1]: 'a b' is not a FHIR Patient id"],
        ),
        (
            users_file(user_yaml(patients="[p2, p3, p2]")),
            ["users.yaml:6: users[0].patients[2]: duplicate entry 'p2'"],
        ),
        (
            users_file(user_yaml(totp_secret="jbswy3dpehpk3pxpjbswy3dpehpk3pxp")),
            [
                (
                    "users.yaml:6: users[0].totp_secret: must be an upper-case base32 TOTP secret"
                    " of 26-128 characters"
                )
            ],
        ),
        (
            users_file(user_yaml(totp_secret="JBSWY3DPEHPK3PXP")),
            [
                (
                    "users.yaml:6: users[0].totp_secret: must be an upper-case base32 TOTP secret"
                    " of 26-128 characters"
                )
            ],
        ),
        (
            users_file(user_yaml(fhir_user="RelatedPerson/rp-1")),
            [
                (
                    "users.yaml:2: users[0]: a RelatedPerson user needs 'patients':"
                    " the patients they act for"
                )
            ],
        ),
        (
            users_file(user_yaml(), user_yaml(username="AMY", fhir_user="Patient/p2")),
            ["users.yaml:6: users[1].username: duplicate username 'AMY' (first at line 2)"],
        ),
        (
            users_file(user_yaml(), user_yaml(username="x"), user_yaml(username="Amy")),
            [
                "users.yaml:10: users[2].username: duplicate username 'Amy' (first at line 2)",
            ],
        ),
        (
            "users:\n  - username: a\n    username: b\n",
            [
                "users.yaml:2: users[0]: missing required key 'password_hash'",
                "users.yaml:2: users[0]: missing required key 'fhir_user'",
                "users.yaml:2: users[0]: missing required key 'display_name'",
                "users.yaml:3: users[0].username: duplicate key 'username' (first at line 2)",
            ],
        ),
    ],
)
def test_every_problem_is_reported_with_file_line_and_path(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


def test_secret_values_are_never_echoed_in_errors() -> None:
    text = users_file(user_yaml(password_hash="hunter2-real-password", totp_secret="my seed!"))
    message = "\n".join(errors_of(text))
    assert "hunter2" not in message and "my seed" not in message


def test_type_errors_on_secret_fields_are_redacted() -> None:
    assert errors_of(users_file(user_yaml(password_hash="[hunter2]"))) == [
        "users.yaml:3: users[0].password_hash: expected a string, got <redacted>"
    ]


def test_loading_a_file_and_an_unreadable_one(tmp_path: Path) -> None:
    good = tmp_path / "users.yaml"
    good.write_text(users_file(user_yaml()), encoding="utf-8")
    assert UserDirectory.load(good).get("amy") is not None
    missing = tmp_path / "missing.yaml"
    with pytest.raises(UsersFileError) as caught:
        UserDirectory.load(missing)
    assert str(caught.value) == f"{missing}: cannot read: No such file or directory"
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"users: \xff\n")
    with pytest.raises(UsersFileError, match=r"binary.yaml: cannot read: invalid start byte"):
        UserDirectory.load(binary)


async def test_authenticate_accepts_only_the_right_password() -> None:
    directory = UserDirectory.from_text(users_file(user_yaml(username="Amy")))
    user = await directory.authenticate("amy", "pw-of-everyone")
    assert user is not None and user.username == "Amy"
    assert await directory.authenticate("AMY", "pw-of-everyone") == user
    assert await directory.authenticate("amy", "PW-OF-EVERYONE") is None
    assert await directory.authenticate("amy", "") is None
    assert await directory.authenticate("nobody", "pw-of-everyone") is None


@pytest.mark.parametrize(
    ("username", "password", "fhir_user", "patients"),
    [
        ("amy", "amy-demo-password", "Patient/p1", ("p1", "p2")),
        ("omar", "omar-demo-password", "Patient/p3", ("p3",)),
        ("amy-proxy", "amy-proxy-demo-password", "RelatedPerson/rp-p2-1", ("p2",)),
        (
            "linh",
            "linh-demo-password",
            "Practitioner/prac-1",
            ("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"),
        ),
    ],
)
async def test_the_demo_users_log_in_with_the_documented_passwords(
    username: str, password: str, fhir_user: str, patients: tuple[str, ...]
) -> None:
    directory = UserDirectory.load(DEMO)
    user = await directory.authenticate(username, password)
    assert user is not None
    assert (user.fhir_user, user.patients) == (fhir_user, patients)
    assert f"#   {username:<11} {password}" in DEMO.read_text(encoding="utf-8")
    assert await directory.authenticate(username, password + "x") is None
