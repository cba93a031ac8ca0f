"""OWASP API8:2023 Security Misconfiguration: no TRACE, no CORS for strangers, the security
headers on every answer, and no stack trace or SQL in an error."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_trace_and_unknown_methods_are_refused(client: TestClient) -> None:
    for method in ("TRACE", "CONNECT", "PROPFIND"):
        assert client.request(method, "/api/v1/me").status_code == 405


def test_no_cors_grant_to_another_origin(client: TestClient) -> None:
    r = client.options(
        "/api/v1/me",
        headers={"origin": "https://evil.example", "access-control-request-method": "GET"},
    )
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/api/v1/me", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_security_headers_on_errors_too(client: TestClient) -> None:
    for path in ("/api/v1/me", "/api/v1/nowhere", "/nowhere"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"


def test_malformed_json_is_a_problem_not_a_trace(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/token",
        content=b'{"username": "a", "password": ',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    for leak in ("Traceback", 'File "', "sqlalchemy", "SELECT ", "psycopg"):
        assert leak not in r.text
