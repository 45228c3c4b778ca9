"""Operations: Prometheus metrics and structured JSON logs with job and tenant ids."""

from service.observability.logging import (
    bind_log_context,
    configure_logging,
    log_context,
    with_job_log_context,
)

__all__ = ["bind_log_context", "configure_logging", "log_context", "with_job_log_context"]
