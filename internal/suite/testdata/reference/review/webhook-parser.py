import json


def parse_webhook(headers, body):
    event = next((v for k, v in headers.items() if k.lower() == "x-github-event"), None)
    if not event:
        raise ValueError("missing X-GitHub-Event header")
    try:
        payload = json.loads(body)
        return event, payload["repository"]["full_name"], payload["sender"]["login"]
    except (KeyError, TypeError) as e:
        raise ValueError(f"payload is missing a field: {e}") from e
