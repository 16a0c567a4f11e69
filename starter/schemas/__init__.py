"""What the API answers: one model per response, so the OpenAPI document says what each
endpoint returns and every answer is checked against it before it leaves."""
