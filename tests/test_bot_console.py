"""Starting `python -m bot`: without a token it explains @BotFather and chats on stdin/stdout;
a bad setting, argument or token stops it with a message that says what to fix."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.botprocess import REPO, BotProcess
from tests.fakebotapi import FakeBotAPI

LAVROV = ("Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for outside mediation "
          "over the unrest in Belarus")


def test_console_chat_answers_from_the_seed(seed_copy: Path, tmp_path: Path) -> None:
    bot = BotProcess({"CORPUS_DIR": str(seed_copy), "INDEX_PATH": str(tmp_path / "index"),
                      "RESULTS_PER_PAGE": "2"}, cwd=tmp_path, stdin=True)
    out = bot.converse("what did Lavrov say about mediation\nmore\ncontext\nqwzx\nLavrof\nyes\nquit\n")
    assert bot.proc.returncode == 0, bot.log
    assert "@BotFather" in out or "BotFather" in out
    assert "you> what did Lavrov say about mediation" in out
    assert f"1. “{LAVROV}" in out
    assert "3–4 of 6" in out                      # "more"
    assert "in context:" in out                    # "context"
    assert "Nothing found for “qwzx”" in out
    assert "Did you mean “Lavrov”?" in out and "for “Lavrov”:" in out
    assert out.rstrip().endswith("Bye.")


def test_bad_configuration_stops_with_a_clear_message(tmp_path: Path) -> None:
    bot = BotProcess({"ADMIN_IDS": "alice"}, cwd=tmp_path, stdin=True)
    bot.converse("")
    assert bot.proc.returncode == 2
    bot.wait_log(r"ADMIN_IDS must be comma-separated numeric ids")


@pytest.mark.parametrize("args", [["--webhook"], ["--nonsense"]])
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, text=True, capture_output=True,
                          timeout=30, env={"PATH": os.environ.get("PATH", ""), "ENV_FILE": str(tmp_path / "none")})
    assert proc.returncode == 2, proc.stderr
    assert ("WEBHOOK_URL" if args == ["--webhook"] else "usage:") in proc.stderr


def test_a_rejected_token_exits_with_a_hint(seed_copy: Path, tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        bot = BotProcess({"TELEGRAM_BOT_TOKEN": "999:WRONG-TOKEN-abcdefgh", "TELEGRAM_API_BASE_URL": api.base_url,
                          "TELEGRAM_API_FILE_URL": api.base_file_url, "CORPUS_DIR": str(seed_copy),
                          "INDEX_PATH": str(tmp_path / "index")}, cwd=tmp_path)
        assert bot.proc.wait(30) == 1
        bot.wait_log(r"Telegram rejected TELEGRAM_BOT_TOKEN")
        assert "WRONG-TOKEN-abcdefgh" not in bot.log
