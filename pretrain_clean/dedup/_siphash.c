/* SipHash-2-4 of each string of an Arrow string array (offsets + UTF-8 data), with a fixed
 * 16-byte key: the values pandas' hash_object_array gives (dedup/hashing.py, token_hashes),
 * without importing pandas (0.17 s per process) or making a Python object per string.
 *
 * SipHash: Jean-Philippe Aumasson and Daniel J. Bernstein, "SipHash: a fast short-input PRF"
 * (2012); this follows their reference implementation (CC0).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t load_le64(const uint8_t *p) {
    return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24) |
           ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) | ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                           \
    do {                                                                                   \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                          \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                             \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                             \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                          \
    } while (0)

static uint64_t siphash24(const uint8_t *in, size_t len, uint64_t k0, uint64_t k1) {
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    const uint8_t *end = in + len - (len % 8);
    for (; in != end; in += 8) {
        uint64_t m = load_le64(in);
        v3 ^= m;
        SIPROUND; SIPROUND;
        v0 ^= m;
    }
    uint64_t b = ((uint64_t)len) << 56;
    switch (len & 7) {
        case 7: b |= ((uint64_t)in[6]) << 48; /* fall through */
        case 6: b |= ((uint64_t)in[5]) << 40; /* fall through */
        case 5: b |= ((uint64_t)in[4]) << 32; /* fall through */
        case 4: b |= ((uint64_t)in[3]) << 24; /* fall through */
        case 3: b |= ((uint64_t)in[2]) << 16; /* fall through */
        case 2: b |= ((uint64_t)in[1]) << 8;  /* fall through */
        case 1: b |= ((uint64_t)in[0]); break;
        case 0: break;
    }
    v3 ^= b;
    SIPROUND; SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* siphash_strings(offsets, data, key) -> bytes: n little-endian uint64 for the n strings
 * data[offsets[i]:offsets[i+1]] (offsets: n + 1 int64, native order; key: 16 bytes). */
static PyObject *siphash_strings(PyObject *self, PyObject *args) {
    Py_buffer offsets, data, key;
    if (!PyArg_ParseTuple(args, "y*y*y*", &offsets, &data, &key))
        return NULL;
    PyObject *out = NULL;
    if (key.len != 16 || offsets.len % 8 != 0 || offsets.len < 8) {
        PyErr_SetString(PyExc_ValueError, "key: 16 bytes; offsets: n + 1 int64");
        goto done;
    }
    Py_ssize_t n = offsets.len / 8 - 1;
    int64_t *off = (int64_t *)offsets.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (off[i] < 0 || off[i] > off[i + 1] || off[i + 1] > data.len) {
            PyErr_SetString(PyExc_ValueError, "offsets out of order or past the data");
            goto done;
        }
    }
    out = PyBytes_FromStringAndSize(NULL, n * 8);
    if (out == NULL)
        goto done;
    uint64_t k0 = load_le64((const uint8_t *)key.buf), k1 = load_le64((const uint8_t *)key.buf + 8);
    uint64_t *h = (uint64_t *)PyBytes_AS_STRING(out);
    const uint8_t *bytes = (const uint8_t *)data.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        h[i] = siphash24(bytes + off[i], (size_t)(off[i + 1] - off[i]), k0, k1);
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    PyBuffer_Release(&key);
    return out;
}

static PyMethodDef methods[] = {
    {"siphash_strings", siphash_strings, METH_VARARGS, "SipHash-2-4 of each string given by offsets into data."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_siphash",
                                    "SipHash-2-4 of many strings (dedup token hashes).", -1, methods};

PyMODINIT_FUNC PyInit__siphash(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", 1) < 0)
        Py_CLEAR(m);
    return m;
}
