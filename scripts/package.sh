#!/usr/bin/env bash
# Packages the stack offline: CloudFormation template and bundles in .serverless/. No credentials are
# needed and no AWS call is made; dummy keys only keep the framework's credential check quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_ACCESS_KEY_ID=package-offline AWS_SECRET_ACCESS_KEY=package-offline
unset AWS_PROFILE AWS_SESSION_TOKEN
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off SERVERLESS_PLATFORM_STAGE=none
# `npm run package -- --stage prod [--region eu-west-1]`: a stage or region given wins over the defaults
# (STAGE, REGION, else dev and us-east-1), as `serverless deploy --stage prod` would take it.
defaults=()
[[ " $* " == *" --stage "* || " $* " == *" --stage="* ]] || defaults+=(--stage "${STAGE:-dev}")
[[ " $* " == *" --region "* || " $* " == *" --region="* ]] || defaults+=(--region "${REGION:-us-east-1}")
stage="${STAGE:-dev}"
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --stage) stage="${args[$((i + 1))]:-}" ;;
    --stage=*) stage="${args[$i]#--stage=}" ;;
  esac
done
# The stage's configuration is validated before anything is built, naming the stage and the key.
node --import tsx scripts/check-config.ts "$stage"
exec npx serverless package "${defaults[@]}" "$@"
