"""``fangkong supplies …`` and ``fangkong allocate …`` on both databases: the console
flow from catalogue to receipt, with the ledger check at the end."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import Engine
from typer.testing import CliRunner

from fangkong.cli import app as cli_app
from fangkong.settings import Settings


def test_console_flow(settings: Settings, engine: Engine) -> None:
    runner = CliRunner()
    env = {
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(settings.var_dir),
    }

    def run(*args: str, code: int = 0) -> str:
        out = runner.invoke(cli_app, list(args), env=env)
        assert out.exit_code == code, out.output
        return out.output

    assert "n95_respirator" in run("supplies", "catalogue")
    run("supplies", "depot", "D-WH", "武汉储备库", "--region", "420100", "--lat", "30.59",
        "--lon", "114.30")  # fmt: skip
    run("supplies", "hospital", "JYT", "金银潭医院", "--kind", "designated", "--region",
        "420100", "--lat", "30.64", "--lon", "114.26", "--icu", "40")  # fmt: skip
    expiry = (date.today() + timedelta(days=60)).isoformat()
    run("supplies", "receive", "D-WH", "n95_respirator", "L1", "1000", "--expiry", expiry)
    assert "not an ISO 8601 date" in run(
        "supplies", "receive", "D-WH", "n95_respirator", "L1", "10", "--expiry", "soon", code=2
    )
    assert "cannot take" in run("supplies", "move", "issue", "L1", "5000", "--from", "D-WH", code=1)
    made = run("supplies", "request", "JYT", "n95_respirator=600", "--priority", "urgent")
    rid = re.search(r"request (\d+)", made)
    assert rid and "submitted" in made
    assert "approved" in run("supplies", "approve", rid.group(1))
    assert "periods must lie in" in run("allocate", "run", "--periods", "0", code=1)
    plan = run("allocate", "run", "--lang", "en", "--periods", "2", "--period-days", "7")
    assert "min fill 100%" in plan and "JYT" in plan
    sid = re.search(r"shipment (\d+) \(draft\)", plan)
    assert sid
    run("allocate", "confirm", sid.group(1), "--tracking", "SF1")
    run("allocate", "dispatch", sid.group(1))
    assert "received" in run("allocate", "receive", sid.group(1), "--signed-by", "王护士长")
    assert "received" in run("supplies", "requests")
    stock = run("supplies", "stock", "--warehouse", "H-JYT")
    assert "600" in stock
    assert "ledger balances" in run("supplies", "check")
