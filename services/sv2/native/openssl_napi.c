/*
 * The share path's hot crypto, on the OpenSSL that the running Node binary carries (Node
 * exports libcrypto's symbols to addons; the headers are Node's own, include/node/openssl):
 *
 *  - ChaCha20-Poly1305 (RFC 8439) for Noise transport frames, on one EVP_CIPHER_CTX per
 *    direction per addon instance, set up once: node:crypto makes a cipher object per frame,
 *    which at a share's 60-odd bytes costs several times the encryption.
 *  - SHA-256d of a share: the coinbase (prefix ‖ extranonce prefix ‖ extranonce ‖ suffix,
 *    streamed, never concatenated), its merkle path, and the 80-byte header, in one call.
 *    OpenSSL's SHA-256 uses the CPU's SHA extensions where present.
 *
 * Each function checks its arguments' types and lengths and throws a TypeError otherwise.
 * Keys are read in place and never kept: the contexts are re-keyed per call and the key
 * schedule of ChaCha20 is the key itself, wiped from the context by OpenSSL on reset.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#define MAC_SIZE 16

typedef struct {
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
} aead_state;

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* Bytes of a Uint8Array argument; `len` receives its length. NULL (thrown) unless one. */
static unsigned char *u8(napi_env env, napi_value value, size_t *len, const char *what) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    throw_type(env, what);
    return NULL;
  }
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, len, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    throw_type(env, what);
    return NULL;
  }
  /* An empty array may have no backing store; hand out a valid pointer all the same. */
  static unsigned char empty[1];
  return data != NULL ? (unsigned char *)data : empty;
}

/* An integer number in [0, 2^32): napi_get_value_uint32 alone would wrap -1 and truncate 0.5. */
static int u32_arg(napi_env env, napi_value value, uint32_t *out, const char *what) {
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok || !(d >= 0) || d > 4294967295.0 ||
      d != (double)(uint32_t)d) {
    throw_type(env, what);
    return 0;
  }
  *out = (uint32_t)d;
  return 1;
}

static void write_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

/* The 12-byte IETF nonce of Noise: 32 zero bits, then the counter as little-endian u64. */
static int nonce_arg(napi_env env, napi_value value, unsigned char iv[12]) {
  double n = 0;
  if (napi_get_value_double(env, value, &n) != napi_ok || !(n >= 0) || n > 9007199254740991.0 ||
      n != (double)(uint64_t)n) {
    throw_type(env, "nonce must be a safe non-negative integer");
    return 0;
  }
  uint64_t c = (uint64_t)n;
  memset(iv, 0, 4);
  write_le32(iv + 4, (uint32_t)c);
  write_le32(iv + 8, (uint32_t)(c >> 32));
  return 1;
}

static aead_state *state_of(napi_env env) {
  aead_state *state = NULL;
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || state == NULL) {
    throw_type(env, "AEAD contexts are not initialized");
    return NULL;
  }
  return state;
}

/* The five arguments both AEAD calls take, read and checked (all but the length relation). */
typedef struct {
  unsigned char *key, *ad, *in, *out;
  size_t adlen, inlen, outlen;
  unsigned char iv[12];
} aead_args;

static int read_aead_args(napi_env env, napi_callback_info info, const char *usage, const char *input,
                          aead_args *a) {
  size_t argc = 5, klen = 0;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    throw_type(env, usage);
    return 0;
  }
  if ((a->key = u8(env, argv[0], &klen, "key must be a Uint8Array")) == NULL || !nonce_arg(env, argv[1], a->iv) ||
      (a->ad = u8(env, argv[2], &a->adlen, "ad must be a Uint8Array")) == NULL ||
      (a->in = u8(env, argv[3], &a->inlen, input)) == NULL ||
      (a->out = u8(env, argv[4], &a->outlen, "output must be a Uint8Array")) == NULL)
    return 0;
  if (klen != 32) {
    throw_type(env, "key must be 32 bytes");
    return 0;
  }
  if (a->inlen > INT32_MAX || a->adlen > INT32_MAX) {
    throw_type(env, "input too long");
    return 0;
  }
  return 1;
}

/*
 * aeadSeal(key, nonce, ad, plaintext, output): output (plaintext.length + 16 bytes) receives
 * ciphertext ‖ tag. Returns undefined; throws on bad arguments.
 */
static napi_value aead_seal(napi_env env, napi_callback_info info) {
  aead_args a;
  if (!read_aead_args(env, info, "aeadSeal(key, nonce, ad, plaintext, output)", "plaintext must be a Uint8Array", &a))
    return NULL;
  if (a.outlen != a.inlen + MAC_SIZE) return throw_type(env, "output must be plaintext.length + 16 bytes");
  unsigned char *key = a.key, *ad = a.ad, *plain = a.in, *out = a.out, *iv = a.iv;
  size_t adlen = a.adlen, plen = a.inlen;
  aead_state *state = state_of(env);
  if (state == NULL) return NULL;
  EVP_CIPHER_CTX *c = state->seal;
  int n = 0;
  if (EVP_EncryptInit_ex(c, NULL, NULL, key, iv) != 1 ||
      (adlen > 0 && EVP_EncryptUpdate(c, NULL, &n, ad, (int)adlen) != 1) ||
      (plen > 0 && EVP_EncryptUpdate(c, out, &n, plain, (int)plen) != 1) ||
      EVP_EncryptFinal_ex(c, out + plen, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, MAC_SIZE, out + plen) != 1) {
    return throw_type(env, "ChaCha20-Poly1305 encryption failed");
  }
  return NULL;
}

/*
 * aeadOpen(key, nonce, ad, ciphertext, output): output (ciphertext.length - 16 bytes) receives
 * the plaintext. Returns true, or false when the tag does not verify (output is then zeroed).
 */
static napi_value aead_open(napi_env env, napi_callback_info info) {
  aead_args a;
  if (!read_aead_args(env, info, "aeadOpen(key, nonce, ad, ciphertext, output)", "ciphertext must be a Uint8Array", &a))
    return NULL;
  if (a.inlen < MAC_SIZE || a.outlen != a.inlen - MAC_SIZE)
    return throw_type(env, "output must be ciphertext.length - 16 bytes");
  unsigned char *key = a.key, *ad = a.ad, *cipher = a.in, *out = a.out, *iv = a.iv;
  size_t adlen = a.adlen, clen = a.inlen;
  aead_state *state = state_of(env);
  if (state == NULL) return NULL;
  EVP_CIPHER_CTX *c = state->open;
  size_t plen = clen - MAC_SIZE;
  unsigned char tag[MAC_SIZE];
  memcpy(tag, cipher + plen, MAC_SIZE); /* output may alias the ciphertext */
  int n = 0;
  if (EVP_DecryptInit_ex(c, NULL, NULL, key, iv) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, MAC_SIZE, tag) != 1 ||
      (adlen > 0 && EVP_DecryptUpdate(c, NULL, &n, ad, (int)adlen) != 1) ||
      (plen > 0 && EVP_DecryptUpdate(c, out, &n, cipher, (int)plen) != 1)) {
    return throw_type(env, "ChaCha20-Poly1305 decryption failed");
  }
  int ok = EVP_DecryptFinal_ex(c, out + plen, &n) == 1;
  if (!ok) memset(out, 0, plen); /* nothing unauthenticated leaves */
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

/* One-shot SHA256() goes through EVP (a provider fetch per call); the low-level calls do not. */
static void sha256(const unsigned char *data, size_t len, unsigned char out[32]) {
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, data, len);
  SHA256_Final(out, &sha);
}

static void sha256d(const unsigned char *data, size_t len, unsigned char out[32]) {
  unsigned char first[32];
  sha256(data, len, first);
  sha256(first, 32, out);
}

/*
 * shareHash(coinbasePrefix, extranoncePrefix, extranonce, coinbaseSuffix, merklePath,
 *           version, prevHash, ntime, nBits, nonce, header, hash):
 * the merkle root of the coinbase prefix ‖ extranonce prefix ‖ extranonce ‖ suffix up the path
 * (32-byte hashes, concatenated, leaf to root), then the header
 * version ‖ prevHash ‖ root ‖ ntime ‖ nBits ‖ nonce (80 bytes, into `header`) and its SHA-256d
 * (internal byte order, into `hash`). With `coinbasePrefix` null, `merklePath` is the merkle
 * root itself (a standard channel's, computed once per job).
 */
static napi_value share_hash(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 12)
    return throw_type(env,
                      "shareHash(prefix, extranoncePrefix, extranonce, suffix, path, version, prevHash, "
                      "ntime, nBits, nonce, header, hash)");
  napi_valuetype kind;
  if (napi_typeof(env, argv[0], &kind) != napi_ok) return NULL;
  size_t plen, eplen, elen, slen, pathlen, prevlen, hlen, outlen;
  unsigned char *path = u8(env, argv[4], &pathlen, "merklePath must be a Uint8Array");
  if (path == NULL) return NULL;
  uint32_t version, ntime, nbits, nonce;
  if (!u32_arg(env, argv[5], &version, "version must be a u32") ||
      !u32_arg(env, argv[7], &ntime, "ntime must be a u32") ||
      !u32_arg(env, argv[8], &nbits, "nBits must be a u32") ||
      !u32_arg(env, argv[9], &nonce, "nonce must be a u32"))
    return NULL;
  unsigned char *prev = u8(env, argv[6], &prevlen, "prevHash must be a Uint8Array");
  if (prev == NULL) return NULL;
  unsigned char *header = u8(env, argv[10], &hlen, "header must be a Uint8Array");
  if (header == NULL) return NULL;
  unsigned char *hash = u8(env, argv[11], &outlen, "hash must be a Uint8Array");
  if (hash == NULL) return NULL;
  if (prevlen != 32 || hlen != 80 || outlen != 32)
    return throw_type(env, "prevHash and hash must be 32 bytes, header 80");
  unsigned char root[32];
  if (kind == napi_null) {
    if (pathlen != 32) return throw_type(env, "a standard share's merkle root must be 32 bytes");
    memcpy(root, path, 32);
  } else {
    unsigned char *prefix = u8(env, argv[0], &plen, "coinbasePrefix must be a Uint8Array or null");
    if (prefix == NULL) return NULL;
    unsigned char *enprefix = u8(env, argv[1], &eplen, "extranoncePrefix must be a Uint8Array");
    if (enprefix == NULL) return NULL;
    unsigned char *en = u8(env, argv[2], &elen, "extranonce must be a Uint8Array");
    if (en == NULL) return NULL;
    unsigned char *suffix = u8(env, argv[3], &slen, "coinbaseSuffix must be a Uint8Array");
    if (suffix == NULL) return NULL;
    if (pathlen % 32 != 0) return throw_type(env, "merklePath must be a multiple of 32 bytes");
    SHA256_CTX sha;
    unsigned char first[32];
    SHA256_Init(&sha);
    SHA256_Update(&sha, prefix, plen);
    SHA256_Update(&sha, enprefix, eplen);
    SHA256_Update(&sha, en, elen);
    SHA256_Update(&sha, suffix, slen);
    SHA256_Final(first, &sha);
    sha256(first, 32, root);
    unsigned char pair[64];
    for (size_t at = 0; at < pathlen; at += 32) {
      memcpy(pair, root, 32);
      memcpy(pair + 32, path + at, 32);
      sha256d(pair, 64, root);
    }
  }
  write_le32(header, version);
  memcpy(header + 4, prev, 32);
  memcpy(header + 36, root, 32);
  write_le32(header + 68, ntime);
  write_le32(header + 72, nbits);
  write_le32(header + 76, nonce);
  sha256d(header, 80, hash);
  return NULL;
}

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_state *state = (aead_state *)data;
  EVP_CIPHER_CTX_free(state->seal);
  EVP_CIPHER_CTX_free(state->open);
  free(state);
}

/* Adds the functions above to `exports`; 0 when OpenSSL's AEAD cannot be set up. */
int hh_register_openssl(napi_env env, napi_value exports) {
  aead_state *state = (aead_state *)calloc(1, sizeof *state);
  if (state == NULL) return 0;
  state->seal = EVP_CIPHER_CTX_new();
  state->open = EVP_CIPHER_CTX_new();
  const EVP_CIPHER *chacha = EVP_chacha20_poly1305();
  if (state->seal == NULL || state->open == NULL || chacha == NULL ||
      EVP_EncryptInit_ex(state->seal, chacha, NULL, NULL, NULL) != 1 ||
      EVP_DecryptInit_ex(state->open, chacha, NULL, NULL, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(state->seal, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(state->open, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
      napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free_state(env, state, NULL);
    return 0;
  }
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"aeadSeal", aead_seal},
      {"aeadOpen", aead_open},
      {"shareHash", share_hash},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, functions[i].name, fn) != napi_ok)
      return 0;
  }
  return 1;
}
