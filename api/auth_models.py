"""Public shapes of sign-in."""

from __future__ import annotations

from pydantic import BaseModel, Field

ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class ChallengeRequest(BaseModel):
    address: str = Field(pattern=ADDRESS, description="The account that will sign in.")


class ChallengePublic(BaseModel):
    message: str = Field(description="Sign this exact EIP-4361 text with personal_sign (EIP-191).")


class TokenRequest(BaseModel):
    message: str = Field(max_length=4096, description="The challenge message, unchanged.")
    signature: str = Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$", description="65-byte hex.")


class TokenPublic(BaseModel):
    token: str = Field(description="A JWT (HS256): send it as `Authorization: Bearer <token>`.")
    token_type: str = "bearer"
    address: str
    roles: list[str]
    expires_at: int
