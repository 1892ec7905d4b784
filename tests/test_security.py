"""Secrets used in public URLs: spot codes and tracking tokens."""

from __future__ import annotations

from app.security import CODE_ALPHABET, hash_token, new_point_code, new_tracking_token


def test_point_codes_are_random_over_a_safe_alphabet():
    codes = [new_point_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 8 and set(code) <= set(CODE_ALPHABET) for code in codes)
    # not sequential: consecutive codes share no common prefix pattern
    assert len({code[:3] for code in codes}) > 1000


def test_tracking_tokens_carry_at_least_128_bits():
    tokens = {new_tracking_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(token) * 6 >= 128 for token in tokens)


def test_token_hash_is_stable_and_hides_the_token():
    token = new_tracking_token()
    assert hash_token(token) == hash_token(token)
    assert token not in hash_token(token)
    assert hash_token(token) != hash_token(new_tracking_token())
