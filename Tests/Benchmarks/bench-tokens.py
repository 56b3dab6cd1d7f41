#!/usr/bin/env python3
# Prints N HS256 tokens for the users bench-0 … bench-N-1, valid for an hour, signed with the secret given as text (what
# GATEWAY_JWT_SECRET or the data directory's jwt-secret file holds), in the claims `fitmate-gateway token` writes:
# distinct users for `gateway-bench --auth-tokens FILE` without starting the gateway once per token.
# Usage: Tests/Benchmarks/bench-tokens.py SECRET N > tokens.txt
import base64, hashlib, hmac, json, sys, time

secret, count = sys.argv[1].encode(), int(sys.argv[2])
def b64(data: bytes) -> str: return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
now = int(time.time())
for i in range(count):
    claims = b64(json.dumps({"sub": f"bench-{i}", "iat": now, "exp": now + 3600}, separators=(",", ":")).encode())
    signature = b64(hmac.new(secret, f"{header}.{claims}".encode(), hashlib.sha256).digest())
    print(f"{header}.{claims}.{signature}")
