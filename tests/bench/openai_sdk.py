"""Reads the benchmark stream with the official OpenAI Python SDK.

usage: openai_sdk.py BASE_URL TOKENS
Writes the answer text to stdout (so the caller can count bytes) and exits 0 when the
stream completed with every token.
"""

import sys

import openai


def main() -> int:
    base_url, tokens = sys.argv[1], int(sys.argv[2])
    client = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
    stream = client.chat.completions.create(
        model="mock-model",
        messages=[{"role": "user", "content": f"[long {tokens}]"}],
        stream=True,
    )
    seen = 0
    out = sys.stdout
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            seen += 1
            out.write(chunk.choices[0].delta.content)
    out.flush()
    return 0 if seen == tokens else 1


if __name__ == "__main__":
    sys.exit(main())
