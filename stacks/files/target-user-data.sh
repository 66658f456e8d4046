#!/bin/bash
# User data for instances behind an lbstack load balancer: installs lbstack-target and its
# systemd unit, configured to match the target group (port, health path, drain = deregistration
# delay). ARTIFACT is where your build of lbstack-target lives (an S3 object or an HTTPS URL).
set -euo pipefail
ARTIFACT=${ARTIFACT:-s3://my-artifacts/lbstack-target/latest/lbstack-target}
PORT=8080
DRAIN_SECONDS=30 # keep equal to the target group's deregistration_delay

if [[ $ARTIFACT == s3://* ]]; then
  aws s3 cp "$ARTIFACT" /usr/local/bin/lbstack-target
else
  curl --fail --silent --show-error --location "$ARTIFACT" -o /usr/local/bin/lbstack-target
fi
chmod 0755 /usr/local/bin/lbstack-target

cat >/etc/default/lbstack-target <<CONF
LBSTACK_TARGET_PORT=$PORT
LBSTACK_TARGET_HEALTH_PATH=/health
LBSTACK_TARGET_DRAIN_SECONDS=$DRAIN_SECONDS
LBSTACK_TARGET_IMDS=always
CONF

cat >/etc/systemd/system/lbstack-target.service <<'UNIT'
[Unit]
Description=lbstack-target reference service
Wants=network-online.target
After=network-online.target

[Service]
EnvironmentFile=-/etc/default/lbstack-target
ExecStart=/usr/local/bin/lbstack-target
# SIGTERM starts the drain: /health answers 503 for LBSTACK_TARGET_DRAIN_SECONDS, then in-flight
# requests finish. Give systemd longer than that before it sends SIGKILL.
KillSignal=SIGTERM
TimeoutStopSec=120
Restart=always
RestartSec=2
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now lbstack-target
