// Empty: see Cargo.toml. The addon is services/sv2/native/secp256k1_napi.c.
