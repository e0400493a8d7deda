# Two commands a newcomer needs: `make run` and `make test`. Both create .venv
# from pyproject.toml on first use and reuse it afterwards (re-installed only
# when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test index search bench-quality bench-scale bench-phases bench-bot bench-soak clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot

test: $(STAMP)
	$(PY) -m pytest -q

index: $(STAMP)
	$(PY) -m index build

search: $(STAMP)
	$(PY) -m index search "what did Lavrov say about mediation"

$(VENV)/.bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $(VENV)/.bench

bench-quality: $(STAMP)
	$(PY) bench/quality.py

bench-scale: $(VENV)/.bench
	$(PY) bench/scale.py

bench-phases: $(STAMP)
	$(PY) bench/query_phases.py

bench-bot: $(STAMP)
	$(PY) bench/bot_load.py

bench-soak: $(STAMP)
	$(PY) bench/soak.py

clean:
	rm -rf $(VENV) .index .pytest_cache
