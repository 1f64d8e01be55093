{{/* Chart name. */}}
{{- define "hyperhash.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object-name prefix: the release name, plus the chart name unless the release name has it. */}}
{{- define "hyperhash.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every object; `helm uninstall` leftovers are found by app.kubernetes.io/instance. */}}
{{- define "hyperhash.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hyperhash.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hyperhash
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "operator"). */}}
{{- define "hyperhash.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hyperhash.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of one component's objects. */}}
{{- define "hyperhash.componentLabels" -}}
{{ include "hyperhash.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* An image reference: (dict "root" $ "image" .Values.core.image). */}}
{{- define "hyperhash.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* The Secret holding Core's tokens. */}}
{{- define "hyperhash.tokensSecret" -}}
{{- default (printf "%s-tokens" (include "hyperhash.fullname" .)) .Values.tokens.existingSecret }}
{{- end }}

{{/* Core's URL: operator.coreUrl, else the chart's core Service (whether or not core.enabled). */}}
{{- define "hyperhash.coreUrl" -}}
{{- if .Values.operator.coreUrl }}
{{- .Values.operator.coreUrl }}
{{- else }}
{{- printf "http://%s-core.%s.svc:%v" (include "hyperhash.fullname" .) .Release.Namespace .Values.core.port }}
{{- end }}
{{- end }}

{{/* The treasury lnd Secret as namespace/name. */}}
{{- define "hyperhash.treasurySecret" -}}
{{- default (printf "%s/%s-treasury-lnd" .Release.Namespace (include "hyperhash.fullname" .)) .Values.operator.treasurySecret }}
{{- end }}

{{/* The Bitcoin RPC URL of the core plane. */}}
{{- define "hyperhash.bitcoinRpcUrl" -}}
{{- if .Values.bitcoin.rpcUrl }}
{{- .Values.bitcoin.rpcUrl }}
{{- else if .Values.btcd.enabled }}
{{- printf "https://%s-btcd.%s.svc:%d" (include "hyperhash.fullname" .) .Release.Namespace (include "hyperhash.btcdRpcPort" . | int) }}
{{- else if .Values.bitcoind.enabled }}
{{- printf "http://%s-bitcoind.%s.svc:%d" (include "hyperhash.fullname" .) .Release.Namespace (include "hyperhash.bitcoindRpcPort" . | int) }}
{{- else }}
{{- fail "bitcoin.rpcUrl is required when bitcoind.enabled is false and core or templateProvider is enabled" }}
{{- end }}
{{- end }}

{{/* Bitcoin Core's default RPC port per network. */}}
{{- define "hyperhash.bitcoindRpcPort" -}}
{{- $ports := dict "regtest" 18443 "signet" 38332 "testnet4" 48332 "mainnet" 8332 }}
{{- get $ports .Values.network }}
{{- end }}

{{/* The RPC dialect: btcd when the chart runs btcd, else bitcoin.rpcDialect. */}}
{{- define "hyperhash.bitcoinRpcDialect" -}}
{{- if .Values.btcd.enabled }}btcd{{ else }}{{ .Values.bitcoin.rpcDialect }}{{ end }}
{{- end }}

{{/* btcd's default RPC port per network (regtest only here). */}}
{{- define "hyperhash.btcdRpcPort" -}}
{{- $ports := dict "regtest" 18334 "signet" 38332 "testnet4" 48334 }}
{{- get $ports .Values.network }}
{{- end }}

{{/* The Secret with the Bitcoin RPC username and password (and ca.crt, for btcd's TLS RPC). */}}
{{- define "hyperhash.bitcoinRpcSecret" -}}
{{- default (printf "%s-bitcoind-rpc" (include "hyperhash.fullname" .)) .Values.bitcoin.rpcSecret }}
{{- end }}

{{/* Pod security shared by every pod of the chart (restricted Pod Security Standard). */}}
{{- define "hyperhash.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container security shared by every container. */}}
{{- define "hyperhash.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}
