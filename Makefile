# The two commands a fresh machine needs (see README): `make demo` and `make test`.
.PHONY: demo test bootstrap lint translations benchmarks frozen deb msi admx

bootstrap:
	@scripts/bootstrap.sh

demo: bootstrap
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then .venv/bin/tjv-desktop --demo; else \
	  echo "No display here: rendering the demo offscreen to artifacts/demo.png after 30 s"; \
	  mkdir -p artifacts; \
	  QT_QPA_PLATFORM=offscreen .venv/bin/tjv-desktop --demo --screenshot artifacts/demo.png --exit-after 30; fi

test: bootstrap
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: bootstrap
	.venv/bin/ruff check .

benchmarks: bootstrap
	.venv/bin/python benchmarks/realtime_latency.py --json artifacts/bench-realtime.json
	.venv/bin/python benchmarks/client_core.py --json artifacts/bench-client-core.json
	.venv/bin/python benchmarks/hospital_scale.py --json artifacts/bench-hospital.json
	.venv/bin/python benchmarks/store_upsert.py --json artifacts/bench-store.json
	.venv/bin/python benchmarks/store_memory.py --json artifacts/bench-store-memory.json
	QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_frame_time.py --json artifacts/bench-ui.json
	QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/chart_draw.py --json artifacts/bench-chart.json
	.venv/bin/python benchmarks/frozen_app.py --build --json artifacts/bench-frozen.json
	.venv/bin/python benchmarks/cold_start.py --json artifacts/bench-cold-start.json

# Installers (packaging/README.md). Outputs go to dist/ (gitignored); nothing is cached between builds.
frozen: bootstrap
	QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/build_frozen.py

deb: frozen
	.venv/bin/python packaging/debian/build_deb.py

# The release MSI packs the one-folder build made on Windows: make msi WINDOWS_DIST=path/to/tjv-desktop.
# Without it, this machine's Linux build stands in to check the MSI tables (…-tablecheck.msi).
msi: $(if $(WINDOWS_DIST),bootstrap,frozen)
	QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/windows/build_msi.py \
	  $(if $(WINDOWS_DIST),--payload "$(WINDOWS_DIST)",--linux-payload-for-checks)

admx: bootstrap
	.venv/bin/python packaging/windows/policy/make_admx.py

# Translations (i18n/README.md): lupdate refreshes the Qt Linguist sources from every module of
# tjv_desktop/ui/ and tjv_desktop/app/, lrelease compiles them to the .qm files the app loads (generated, gitignored;
# bootstrap also compiles them when missing or older than their .ts).
TS_FILES := i18n/tjv_desktop_en.ts i18n/tjv_desktop_es.ts
UI_SOURCES = $(sort $(wildcard tjv_desktop/ui/*.py tjv_desktop/app/*.py))

translations: bootstrap
	.venv/bin/pyside6-lupdate -silent $(UI_SOURCES) -no-obsolete -locations relative -source-language en \
	  -pluralonly -ts i18n/tjv_desktop_en.ts
	.venv/bin/pyside6-lupdate -silent $(UI_SOURCES) -no-obsolete -locations relative -source-language en \
	  -ts i18n/tjv_desktop_es.ts
	.venv/bin/pyside6-lrelease $(TS_FILES)
