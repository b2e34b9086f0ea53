"""The ``smart-proxy`` command: exit codes and what an admin reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from smart_proxy.cli import main
from tests.support import DEMO_APPS

GOOD = f"""\
public_url: http://127.0.0.1:8080
upstream: {{url: http://127.0.0.1:8081/fhir}}
apps: {DEMO_APPS}
state: memory
"""


def test_check_config_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(GOOD)
    assert main(["check-config", str(tmp_path / "p.yaml")]) == 0
    assert capsys.readouterr().out == f"{tmp_path}/p.yaml: OK (FHIR base http://127.0.0.1:8080/fhir, 5 app(s))\n"


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_bad_config_exits_2_naming_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (tmp_path / "p.yaml").write_text(GOOD + "debug: true\n")
    args = [command, str(tmp_path / "p.yaml")] if command == "check-config" else [command, "--config", str(tmp_path / "p.yaml")]
    assert main(args) == 2
    assert f"{tmp_path}/p.yaml:5: (top level): unknown key debug" in capsys.readouterr().err


def test_bad_registry_stops_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "apps.yaml").write_text("apps:\n  - client_id: x\n    nme: typo\n")
    (tmp_path / "p.yaml").write_text(GOOD.replace(str(DEMO_APPS), "apps.yaml"))
    assert main(["serve", "--config", str(tmp_path / "p.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}/apps.yaml:3: apps[0].nme: unknown key" in err


def test_apps_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apps", "validate", str(DEMO_APPS)]) == 0
    assert capsys.readouterr().out.startswith(f"{DEMO_APPS}: OK, 5 app(s), ")
    (tmp_path / "bad.yaml").write_text("apps: [1]\n")
    assert main(["apps", "validate", str(tmp_path / "bad.yaml")]) == 1
    assert f"{tmp_path}/bad.yaml:1: apps[0]" in capsys.readouterr().err


def test_apps_list_shows_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apps", "list", str(DEMO_APPS)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines() if not line.startswith(" ")}
    assert rows["demo-patient-app"] == "approved"
    assert rows["demo-pending-app"] == "pending"
    assert rows["demo-suspended-app"] == "suspended"


def test_keys_generate_writes_private_key_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from smart_proxy.auth.signing import SigningKey

    path = tmp_path / "k.pem"
    assert main(["keys", "generate", str(path)]) == 0
    kid = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    assert path.stat().st_mode & 0o777 == 0o600
    assert SigningKey.from_file(path).kid == kid
    assert main(["keys", "generate", str(path)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
