/*
 * Node-API binding of libsecp256k1 for the Noise handshake (sv2-spec §4): ElligatorSwift keys,
 * BIP324 x-only ECDH, BIP340 signatures. Compiled together with the libsecp256k1 sources that
 * the `secp256k1-sys` crate vendors (the library SRI's noise_sv2 uses through rust-secp256k1),
 * by services/sv2/native/build.mjs. The crate renames every symbol with its version prefix.
 * Also the handshake's SHA-256 and HKDF, with libsecp256k1's hash code: at a handshake's sizes
 * a call into OpenSSL through node:crypto costs more in setup than the hashing itself.
 *
 * Every function checks its arguments' types and lengths and throws a TypeError otherwise; a
 * secret key the library refuses gives `null` (the TypeScript side turns that into NoiseError).
 * Secret keys are read in place and never kept; key material made here is cleared after use.
 */
#include <node_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "secp256k1.h"
#include "secp256k1_ellswift.h"
#include "secp256k1_extrakeys.h"
#include "secp256k1_preallocated.h"
#include "secp256k1_schnorrsig.h"
/* libsecp256k1's own SHA-256 and HMAC (static functions: this file gets its own copy). */
#include "hash_impl.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
/* secp256k1-sys 0.11.x: every libsecp256k1 symbol carries this prefix. */
#define S(name) CAT(rustsecp256k1_v0_11_, name)

/* Built with USE_EXTERNAL_DEFAULT_CALLBACKS (as the crate builds it): misuse aborts. */
void S(default_illegal_callback_fn)(const char *message, void *data) {
  (void)message;
  (void)data;
  abort();
}
void S(default_error_callback_fn)(const char *message, void *data) {
  (void)message;
  (void)data;
  abort();
}

static S(context) *ctx = NULL;
static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n--) *v++ = 0;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* The i-th argument as the bytes of a Uint8Array of exactly `len` bytes, or NULL (thrown). */
static const unsigned char *bytes_arg(napi_env env, napi_value *argv, size_t argc, size_t i, size_t len,
                                      const char *what) {
  bool is_typed = false;
  if (i >= argc || napi_is_typedarray(env, argv[i], &is_typed) != napi_ok || !is_typed) {
    fail(env, what);
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, argv[i], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || length != len) {
    fail(env, what);
    return NULL;
  }
  return (const unsigned char *)data;
}

static napi_value uint8_array(napi_env env, const unsigned char *src, size_t len) {
  napi_value buffer, array;
  void *data = NULL;
  if (napi_create_arraybuffer(env, len, &data, &buffer) != napi_ok) return NULL;
  memcpy(data, src, len);
  if (napi_create_typedarray(env, napi_uint8_array, len, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

static napi_value null_value(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

static napi_value boolean(napi_env env, int b) {
  napi_value v;
  napi_get_boolean(env, b != 0, &v);
  return v;
}

/* `const unsigned char *var`: argument i as exactly len bytes, or return (TypeError thrown). */
#define BYTES(var, i, len, what)                                   \
  const unsigned char *var = bytes_arg(env, argv, argc, (i), (len), what); \
  if (var == NULL) return NULL

#define ARGS(n)                                                              \
  size_t argc = (n);                                                         \
  napi_value argv[(n)];                                                      \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  if (ctx == NULL) return fail(env, "secp256k1 binding used before init(seed)");

/* init(seed32): creates the context once (randomized against side channels); later calls no-op. */
static napi_value init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  BYTES(seed, 0, 32, "init(seed): seed must be a 32-byte Uint8Array");
  pthread_mutex_lock(&ctx_lock);
  if (ctx == NULL) {
    size_t size = S(context_preallocated_size)(SECP256K1_CONTEXT_NONE);
    void *memory = malloc(size);
    S(context) *made = memory ? S(context_preallocated_create)(memory, SECP256K1_CONTEXT_NONE) : NULL;
    if (made != NULL && S(context_randomize)(made, seed)) ctx = made;
    else free(memory);
  }
  pthread_mutex_unlock(&ctx_lock);
  if (ctx == NULL) return fail(env, "secp256k1 context could not be created");
  return boolean(env, 1);
}

/* xOnlyPublicKey(seckey32) → 32 bytes, or null for an invalid secret key. */
static napi_value x_only_public_key(napi_env env, napi_callback_info info) {
  ARGS(1)
  BYTES(sk, 0, 32, "secret key must be a 32-byte Uint8Array");
  S(keypair) keypair;
  S(xonly_pubkey) xonly;
  unsigned char out[32];
  int ok = S(keypair_create)(ctx, &keypair, sk) && S(keypair_xonly_pub)(ctx, &xonly, NULL, &keypair) &&
           S(xonly_pubkey_serialize)(ctx, out, &xonly);
  wipe(&keypair, sizeof keypair);
  return ok ? uint8_array(env, out, 32) : null_value(env);
}

/* isXOnlyPublicKey(x32) → whether x is the x coordinate of a curve point (BIP340 lift_x). */
static napi_value is_x_only_public_key(napi_env env, napi_callback_info info) {
  ARGS(1)
  BYTES(x, 0, 32, "x-only key must be a 32-byte Uint8Array");
  S(xonly_pubkey) xonly;
  return boolean(env, S(xonly_pubkey_parse)(ctx, &xonly, x));
}

/* ellswiftCreate(seckey32, aux32) → the 64-byte encoding of seckey's public key, or null. */
static napi_value ellswift_create(napi_env env, napi_callback_info info) {
  ARGS(2)
  BYTES(sk, 0, 32, "secret key must be a 32-byte Uint8Array");
  BYTES(aux, 1, 32, "randomness must be a 32-byte Uint8Array");
  unsigned char out[64];
  return S(ellswift_create)(ctx, out, sk, aux) ? uint8_array(env, out, 64) : null_value(env);
}

/* ellswiftDecode(ell64) → the x-only key it encodes (every 64 bytes decode). */
static napi_value ellswift_decode(napi_env env, napi_callback_info info) {
  ARGS(1)
  BYTES(ell, 0, 64, "EllSwift encoding must be a 64-byte Uint8Array");
  S(pubkey) pubkey;
  S(xonly_pubkey) xonly;
  unsigned char out[32];
  if (!S(ellswift_decode)(ctx, &pubkey, ell) || !S(xonly_pubkey_from_pubkey)(ctx, &xonly, NULL, &pubkey) ||
      !S(xonly_pubkey_serialize)(ctx, out, &xonly)) {
    return null_value(env);
  }
  return uint8_array(env, out, 32);
}

/*
 * ellswiftXdh(ellA64, ellB64, seckey32, party) → BIP324 v2_ecdh: tagged hash of A ‖ B ‖ x, where
 * A is the initiator's encoding; party 0 when seckey is A's, 1 when B's. Null on a bad key.
 */
static napi_value ellswift_xdh(napi_env env, napi_callback_info info) {
  ARGS(4)
  BYTES(a, 0, 64, "initiator encoding must be a 64-byte Uint8Array");
  BYTES(b, 1, 64, "responder encoding must be a 64-byte Uint8Array");
  BYTES(sk, 2, 32, "secret key must be a 32-byte Uint8Array");
  int32_t party = -1;
  if (argc < 4 || napi_get_value_int32(env, argv[3], &party) != napi_ok || (party != 0 && party != 1)) {
    return fail(env, "party must be 0 (initiator) or 1 (responder)");
  }
  unsigned char out[32];
  int ok = S(ellswift_xdh)(ctx, out, a, b, sk, party, S(ellswift_xdh_hash_function_bip324), NULL);
  napi_value result = ok ? uint8_array(env, out, 32) : null_value(env);
  wipe(out, sizeof out);
  return result;
}

/* schnorrSign(msg32, seckey32, aux32) → BIP340 signature (64 bytes), or null for a bad key. */
static napi_value schnorr_sign(napi_env env, napi_callback_info info) {
  ARGS(3)
  BYTES(msg, 0, 32, "message must be a 32-byte Uint8Array");
  BYTES(sk, 1, 32, "secret key must be a 32-byte Uint8Array");
  BYTES(aux, 2, 32, "randomness must be a 32-byte Uint8Array");
  S(keypair) keypair;
  unsigned char sig[64];
  int ok = S(keypair_create)(ctx, &keypair, sk) && S(schnorrsig_sign32)(ctx, sig, msg, &keypair, aux);
  wipe(&keypair, sizeof keypair);
  return ok ? uint8_array(env, sig, 64) : null_value(env);
}

/* schnorrVerify(sig64, msg32, xonly32) → whether the BIP340 signature is valid. */
static napi_value schnorr_verify(napi_env env, napi_callback_info info) {
  ARGS(3)
  BYTES(sig, 0, 64, "signature must be a 64-byte Uint8Array");
  BYTES(msg, 1, 32, "message must be a 32-byte Uint8Array");
  BYTES(x, 2, 32, "x-only key must be a 32-byte Uint8Array");
  S(xonly_pubkey) xonly;
  return boolean(env, S(xonly_pubkey_parse)(ctx, &xonly, x) && S(schnorrsig_verify)(ctx, sig, msg, 32, &xonly));
}

/* The bytes of any Uint8Array argument (length in *len), or NULL (thrown). */
static const unsigned char *any_bytes_arg(napi_env env, napi_value *argv, size_t argc, size_t i, size_t *len,
                                          const char *what) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (i >= argc || napi_is_typedarray(env, argv[i], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[i], &type, len, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    fail(env, what);
    return NULL;
  }
  return data != NULL ? (const unsigned char *)data : (const unsigned char *)"";
}

/* sha256(a, b?) → SHA-256 of a ‖ b (Noise MixHash). */
static napi_value sha256(napi_env env, napi_callback_info info) {
  ARGS(2)
  size_t alen = 0, blen = 0;
  const unsigned char *a = any_bytes_arg(env, argv, argc, 0, &alen, "sha256: data must be a Uint8Array");
  if (a == NULL) return NULL;
  const unsigned char *b = NULL;
  napi_valuetype second = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &second);
  if (second != napi_undefined) {
    b = any_bytes_arg(env, argv, argc, 1, &blen, "sha256: data must be a Uint8Array");
    if (b == NULL) return NULL;
  }
  S(sha256) hash;
  unsigned char out[32];
  S(sha256_initialize)(&hash);
  S(sha256_write)(&hash, a, alen);
  if (b != NULL) S(sha256_write)(&hash, b, blen);
  S(sha256_finalize)(&hash, out);
  return uint8_array(env, out, 32);
}

/*
 * hkdf2(ck32, ikm) → 64 bytes: Noise's HKDF with two outputs (RFC 5869 with salt = ck and empty
 * info): prk = HMAC(ck, ikm), out1 = HMAC(prk, 0x01), out2 = HMAC(prk, out1 ‖ 0x02).
 */
static napi_value hkdf2(napi_env env, napi_callback_info info) {
  ARGS(2)
  BYTES(ck, 0, 32, "chaining key must be a 32-byte Uint8Array");
  size_t ikmlen = 0;
  const unsigned char *ikm = any_bytes_arg(env, argv, argc, 1, &ikmlen, "input key material must be a Uint8Array");
  if (ikm == NULL) return NULL;
  S(hmac_sha256) hmac;
  unsigned char prk[32], out[64];
  const unsigned char one = 1, two = 2;
  S(hmac_sha256_initialize)(&hmac, ck, 32);
  S(hmac_sha256_write)(&hmac, ikm, ikmlen);
  S(hmac_sha256_finalize)(&hmac, prk);
  S(hmac_sha256_initialize)(&hmac, prk, 32);
  S(hmac_sha256_write)(&hmac, &one, 1);
  S(hmac_sha256_finalize)(&hmac, out);
  S(hmac_sha256_initialize)(&hmac, prk, 32);
  S(hmac_sha256_write)(&hmac, out, 32);
  S(hmac_sha256_write)(&hmac, &two, 1);
  S(hmac_sha256_finalize)(&hmac, out + 32);
  napi_value result = uint8_array(env, out, 64);
  wipe(prk, sizeof prk);
  wipe(out, sizeof out);
  wipe(&hmac, sizeof hmac);
  return result;
}

/* openssl_napi.c: ChaCha20-Poly1305 and the share hash on Node's OpenSSL. */
int hh_register_openssl(napi_env env, napi_value exports);

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"init", init},
      {"xOnlyPublicKey", x_only_public_key},
      {"isXOnlyPublicKey", is_x_only_public_key},
      {"ellswiftCreate", ellswift_create},
      {"ellswiftDecode", ellswift_decode},
      {"ellswiftXdh", ellswift_xdh},
      {"schnorrSign", schnorr_sign},
      {"schnorrVerify", schnorr_verify},
      {"sha256", sha256},
      {"hkdf2", hkdf2},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, functions[i].name, fn) != napi_ok) {
      return NULL;
    }
  }
  /* Without them the TypeScript side keeps node:crypto for frames and shares. */
  (void)hh_register_openssl(env, exports);
  return exports;
}
