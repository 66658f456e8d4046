#!/bin/bash
# Installs lbstack-target (the health endpoint) and starts it on the web port.
set -euo pipefail
install -m 0755 /opt/artifacts/lbstack-target /usr/local/bin/lbstack-target
cat >/etc/systemd/system/lbstack-target.service <<'UNIT'
[Unit]
Description=lbstack reference service
After=network-online.target
[Service]
ExecStart=/usr/local/bin/lbstack-target --port 8080 --drain-seconds 60
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now lbstack-target
