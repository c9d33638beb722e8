"""OpenAPI generation: drf-standardized-errors' schema plus our extra statuses."""

from drf_standardized_errors.openapi import AutoSchema as ErrorsAutoSchema


class AutoSchema(ErrorsAutoSchema):
    pass
