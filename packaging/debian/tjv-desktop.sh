#!/bin/sh
# Launcher of the frozen build installed under /opt (packaging/README.md).
exec /opt/tjv-desktop/tjv-desktop "$@"
