"""The OpenTelemetry variables the service reads itself, under their standard names.

A base of `Settings`, so that they are read like every other setting (from
the environment and from `.env`, an empty value meaning the default) and
checked at start-up: a sampler or protocol the service cannot honour stops
it there, instead of sending nothing. The SDK's other variables
(`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_PROPAGATORS`, `OTEL_BSP_*`,
`OTEL_EXPORTER_OTLP_TIMEOUT`...) are left to the SDK, which reads them from
the environment itself.
"""

from typing import Any, Literal

from pydantic import Field, HttpUrl, SecretStr, field_validator
from pydantic_settings import BaseSettings

Sampler = Literal[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
]


class TraceSettings(BaseSettings):
    """Traces are off unless an endpoint or `OTEL_TRACES_EXPORTER` asks for them."""

    otel_sdk_disabled: bool = Field(
        default=False, description="The specification's switch: true turns traces off."
    )
    otel_traces_exporter: Literal["otlp", "console", "none"] | None = Field(
        default=None,
        description="otlp (OTLP over HTTP), console (stdout) or none; unset: otlp when an "
        "endpoint is set, else no traces.",
    )
    otel_exporter_otlp_endpoint: HttpUrl | None = Field(
        default=None, description="The collector's base URL; traces go to <it>/v1/traces."
    )
    otel_exporter_otlp_traces_endpoint: HttpUrl | None = Field(
        default=None, description="The full URL for traces, over OTEL_EXPORTER_OTLP_ENDPOINT."
    )
    otel_exporter_otlp_protocol: Literal["http/protobuf"] = Field(
        default="http/protobuf", description="Only OTLP over HTTP with protobuf is shipped."
    )
    otel_exporter_otlp_headers: SecretStr | None = Field(
        default=None, description="key=value,key2=value2 sent with each export (API keys)."
    )
    otel_service_name: str = Field(default="users-posts-service", min_length=1)
    otel_traces_sampler: Sampler = "parentbased_always_on"
    otel_traces_sampler_arg: float | None = Field(
        default=None, ge=0, le=1, description="The ratio of the *traceidratio samplers."
    )

    @field_validator("otel_traces_exporter", mode="before")
    @classmethod
    def _exporter_in_any_case(cls, value: Any) -> Any:
        return value.strip().casefold() if isinstance(value, str) else value

    @property
    def traces_exported(self) -> bool:
        """Whether these settings ask for traces: the one check made when they do not."""
        if self.otel_sdk_disabled or self.otel_traces_exporter == "none":
            return False
        return (
            self.otel_traces_exporter is not None
            or self.otel_exporter_otlp_endpoint is not None
            or self.otel_exporter_otlp_traces_endpoint is not None
        )

    @property
    def otlp_traces_url(self) -> str:
        """Where spans are posted: the traces endpoint as given, or the base's /v1/traces."""
        if self.otel_exporter_otlp_traces_endpoint is not None:
            return str(self.otel_exporter_otlp_traces_endpoint)
        base = self.otel_exporter_otlp_endpoint
        return f"{str(base or 'http://localhost:4318').rstrip('/')}/v1/traces"
