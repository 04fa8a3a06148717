{{/*
The services the chart deploys, in order. Every per-service template ranges over this list and
reads the values under .Values.<service>.
*/}}
{{- define "hookd.services" -}}
ingest router delivery
{{- end }}

{{/* Chart name, overridable. */}}
{{- define "hookd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name prefix of every resource: the release name, plus the chart name when the release name
does not contain it. Truncated so "<fullname>-delivery" stays within 63 characters.
*/}}
{{- define "hookd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's resources; call with (dict "root" $ "component" "ingest"). */}}
{{- define "hookd.componentName" -}}
{{- printf "%s-%s" (include "hookd.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Chart label value. */}}
{{- define "hookd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels; call with (dict "root" $ "component" "ingest").
*/}}
{{- define "hookd.labels" -}}
helm.sh/chart: {{ include "hookd.chart" .root }}
{{ include "hookd.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: hookd
{{- end }}

{{/* Selector labels (immutable on a Deployment); call with (dict "root" $ "component" "ingest"). */}}
{{- define "hookd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hookd.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The image reference: repository@digest when a digest is set, else repository:tag. */}}
{{- define "hookd.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{- define "hookd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hookd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the Secret the pods load: existingSecret, or the one the chart creates. */}}
{{- define "hookd.secretName" -}}
{{- default (include "hookd.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "hookd.configMapName" -}}
{{- include "hookd.fullname" . }}
{{- end }}

{{/* Non-secret environment (ConfigMap data), shared by the services and the migration Job. */}}
{{- define "hookd.configData" -}}
HOOKD_PROFILE: {{ .Values.config.profile | quote }}
HOOKD__INGEST__LISTEN: {{ printf "0.0.0.0:%v" .Values.ingest.port | quote }}
HOOKD__ROUTER__LISTEN: {{ printf "0.0.0.0:%v" .Values.router.port | quote }}
HOOKD__DELIVERY__LISTEN: {{ printf "0.0.0.0:%v" .Values.delivery.port | quote }}
HOOKD__DELIVERY__RETRY_SCHEDULE: {{ .Values.config.retrySchedule | quote }}
HOOKD__DELIVERY__TIMEOUT: {{ .Values.config.deliveryTimeout | quote }}
HOOKD__DELIVERY__ALLOW_PRIVATE_NETWORKS: {{ .Values.config.allowPrivateNetworks | toString | quote }}
HOOKD__LOG__FORMAT: {{ .Values.config.logFormat | quote }}
HOOKD__LOG__LEVEL: {{ .Values.config.logLevel | quote }}
{{- range $key, $value := .Values.config.extraEnv }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
Secret data (base64) of the chart-managed Secret. Values left empty are kept from the Secret
already in the cluster (upgrade); an empty bootstrap key is generated on first install. The
encryption key is never generated: where lookup sees nothing (`helm template`, GitOps tools,
a dry run, no RBAC to read Secrets) a generated key would replace the real one on every render
and leave every stored secret unreadable, so rendering fails instead unless the key is given.
Keys with no value are never written: hookd refuses an empty HOOKD__AUTH__BOOTSTRAP_API_KEY.
*/}}
{{- define "hookd.secretData" -}}
{{- $existing := (lookup "v1" "Secret" .Release.Namespace (include "hookd.fullname" .)) | default dict }}
{{- $old := get $existing "data" | default dict }}
HOOKD__DATABASE__URL: {{ required "secrets.databaseUrl is required when existingSecret is empty" .Values.secrets.databaseUrl | b64enc | quote }}
HOOKD__AMQP__URL: {{ required "secrets.amqpUrl is required when existingSecret is empty" .Values.secrets.amqpUrl | b64enc | quote }}
{{- if .Values.secrets.bootstrapApiKey }}
HOOKD__AUTH__BOOTSTRAP_API_KEY: {{ .Values.secrets.bootstrapApiKey | b64enc | quote }}
{{- else if hasKey $old "HOOKD__AUTH__BOOTSTRAP_API_KEY" }}
HOOKD__AUTH__BOOTSTRAP_API_KEY: {{ get $old "HOOKD__AUTH__BOOTSTRAP_API_KEY" | quote }}
{{- else }}
HOOKD__AUTH__BOOTSTRAP_API_KEY: {{ printf "hookd_%s" (randAlphaNum 40) | b64enc | quote }}
{{- end }}
{{- if .Values.secrets.encryptionKey }}
HOOKD__SECRETS__ENCRYPTION_KEY: {{ .Values.secrets.encryptionKey | b64enc | quote }}
{{- else if hasKey $old "HOOKD__SECRETS__ENCRYPTION_KEY" }}
HOOKD__SECRETS__ENCRYPTION_KEY: {{ get $old "HOOKD__SECRETS__ENCRYPTION_KEY" | quote }}
{{- else }}
{{- fail (printf "secrets.encryptionKey is empty and no Secret %s holding HOOKD__SECRETS__ENCRYPTION_KEY can be looked up (first install, helm template, a GitOps tool, or no RBAC to read Secrets). Set secrets.encryptionKey to base64 of 32 bytes (openssl rand -base64 32) and keep a copy, or use existingSecret: a generated key would change on every render and make the stored secrets unreadable." (include "hookd.fullname" .)) }}
{{- end }}
{{- end }}

{{/* Pod-level fields shared by the services and the migration Job. */}}
{{- define "hookd.podCommon" -}}
serviceAccountName: {{ include "hookd.serviceAccountName" . }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* envFrom of every hookd container: the ConfigMap, then the Secret. */}}
{{- define "hookd.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "hookd.configMapName" . }}
  - secretRef:
      name: {{ include "hookd.secretName" . }}
{{- end }}

{{/*
Checksum of the configuration, as a pod annotation, so a `helm upgrade` that changes the config
or the values of the chart-managed Secret rolls the pods. A generated bootstrap key is not in the
values, so it does not change the sum (nor does it change across upgrades).
*/}}
{{- define "hookd.configChecksum" -}}
{{- printf "%s\n%s\n%s" (include "hookd.configData" .) (toYaml .Values.secrets) .Values.existingSecret | sha256sum }}
{{- end }}
