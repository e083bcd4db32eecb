/* ChunkCache: a text's tokens from its whitespace-delimited chunks, each chunk tokenized once
 * per process: pretrain_clean.filters._chunks.
 *
 *   cache = ChunkCache(tokenize_chunk, max_chunks, count_tokens=None)
 *   cache.tokens(text) == [t for chunk in text.split() for t in tokenize_chunk(chunk)]
 *   cache.tokens_counted(text) == (cache.tokens(text), the sums over the text's chunks of
 *                                  count_tokens(tokens of the chunk), a tuple of ints)
 *
 * Chunks are found in place (str.split()'s whitespace, Py_UNICODE_ISSPACE) and looked up by
 * their code points, so a chunk seen before costs a hash and a compare, no new string. A
 * chunk not seen before is cut out and passed to tokenize_chunk, whose tuple of tokens is
 * kept; when max_chunks are kept the cache starts over. filters/text_features.py documents
 * why tokens never cross whitespace.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef struct {
    uint64_t hash;
    PyObject *chunk;  /* str; NULL: empty slot */
    PyObject *tokens; /* tuple */
} Slot;

#define MAX_COUNTS 8

typedef struct {
    PyObject_HEAD
    PyObject *tokenize;
    PyObject *count; /* None or a callable: tokens tuple -> tuple of `width` ints */
    int width;       /* -1 until the first count */
    int64_t *counts; /* per slot: `width` ints */
    Py_ssize_t max_chunks;
    Py_ssize_t count_of_chunks;
    size_t mask;
    Slot *slots;
} ChunkCache;

static void cache_clear_slots(ChunkCache *self) {
    if (self->slots == NULL)
        return;
    for (size_t i = 0; i <= self->mask; i++) {
        Py_CLEAR(self->slots[i].chunk);
        Py_CLEAR(self->slots[i].tokens);
    }
    self->count_of_chunks = 0;
}

static void cache_dealloc(ChunkCache *self) {
    cache_clear_slots(self);
    PyMem_Free(self->slots);
    PyMem_Free(self->counts);
    Py_XDECREF(self->tokenize);
    Py_XDECREF(self->count);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int cache_init(ChunkCache *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"tokenize_chunk", "max_chunks", "count_tokens", NULL};
    PyObject *tokenize, *count = Py_None;
    Py_ssize_t max_chunks;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "On|O:ChunkCache", names, &tokenize, &max_chunks, &count))
        return -1;
    if (count != Py_None && !PyCallable_Check(count)) {
        PyErr_SetString(PyExc_TypeError, "ChunkCache: count_tokens must be callable or None");
        return -1;
    }
    if (!PyCallable_Check(tokenize) || max_chunks < 1) {
        PyErr_SetString(PyExc_ValueError, "ChunkCache(tokenize_chunk, max_chunks): a callable and max_chunks >= 1");
        return -1;
    }
    size_t size = 16;
    while (size < 2 * (size_t)max_chunks)
        size <<= 1;
    cache_clear_slots(self);
    PyMem_Free(self->slots);
    self->slots = PyMem_Calloc(size, sizeof(Slot));
    PyMem_Free(self->counts);
    self->counts = PyMem_Calloc(size * MAX_COUNTS, sizeof(int64_t));
    if (self->slots == NULL || self->counts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = size - 1;
    self->count_of_chunks = 0;
    self->max_chunks = max_chunks;
    Py_INCREF(tokenize);
    Py_XSETREF(self->tokenize, tokenize);
    Py_INCREF(count);
    Py_XSETREF(self->count, count);
    self->width = -1;
    return 0;
}

/* Code points of text[start:end]: hash, and equality with a stored chunk. */
static uint64_t span_hash(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)(end - start);
    for (Py_ssize_t i = start; i < end; i++) {
        h ^= PyUnicode_READ(kind, data, i);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 29;
    return h;
}

static int span_equals(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, PyObject *chunk) {
    Py_ssize_t length = end - start;
    if (PyUnicode_GET_LENGTH(chunk) != length)
        return 0;
    int other_kind = PyUnicode_KIND(chunk);
    const void *other = PyUnicode_DATA(chunk);
    if (other_kind == kind)
        return memcmp((const char *)data + start * kind, other, (size_t)length * kind) == 0;
    for (Py_ssize_t i = 0; i < length; i++)
        if (PyUnicode_READ(kind, data, start + i) != PyUnicode_READ(other_kind, other, i))
            return 0;
    return 1;
}

/* count_tokens(tokens) into `out` (width numbers); 0, or -1 with an exception. */
static int count_chunk(ChunkCache *self, PyObject *tokens, int64_t *out) {
    PyObject *found = PyObject_CallOneArg(self->count, tokens);
    if (found == NULL)
        return -1;
    PyObject *seq = PySequence_Fast(found, "count_tokens must return a sequence of int");
    Py_DECREF(found);
    if (seq == NULL)
        return -1;
    Py_ssize_t width = PySequence_Fast_GET_SIZE(seq);
    if (self->width < 0 && width <= MAX_COUNTS)
        self->width = (int)width;
    if (width != self->width) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "count_tokens returned %zd numbers, expected %d (at most %d)", width,
                     self->width < 0 ? MAX_COUNTS : self->width, MAX_COUNTS);
        return -1;
    }
    for (Py_ssize_t k = 0; k < width; k++) {
        long long value = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, k));
        if (value == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        out[k] = value;
    }
    Py_DECREF(seq);
    return 0;
}

/* The cache slot holding text[start:end] (tokenized, and counted, on first sight), or -1 with
 * an exception. */
static Py_ssize_t chunk_slot(ChunkCache *self, PyObject *text, int kind, const void *data, Py_ssize_t start,
                             Py_ssize_t end) {
    uint64_t h = span_hash(kind, data, start, end);
    size_t i = (size_t)h & self->mask;
    while (self->slots[i].chunk != NULL) {
        if (self->slots[i].hash == h && span_equals(kind, data, start, end, self->slots[i].chunk))
            return (Py_ssize_t)i;
        i = (i + 1) & self->mask;
    }
    PyObject *chunk = PyUnicode_Substring(text, start, end);
    if (chunk == NULL)
        return -1;
    PyObject *found = PyObject_CallOneArg(self->tokenize, chunk);
    PyObject *tokens = found == NULL ? NULL : PySequence_Tuple(found);
    Py_XDECREF(found);
    int64_t counts[MAX_COUNTS];
    if (tokens == NULL || (self->count != Py_None && count_chunk(self, tokens, counts) < 0)) {
        Py_DECREF(chunk);
        Py_XDECREF(tokens);
        return -1;
    }
    if (self->count_of_chunks >= self->max_chunks) { /* start over */
        cache_clear_slots(self);
        i = (size_t)h & self->mask;
    }
    self->slots[i].hash = h;
    self->slots[i].chunk = chunk;
    self->slots[i].tokens = tokens;
    if (self->width > 0)
        memcpy(self->counts + i * MAX_COUNTS, counts, (size_t)self->width * sizeof(int64_t));
    self->count_of_chunks++;
    return (Py_ssize_t)i;
}

/* The tokens of `text`; with `sums`, also the sums of its chunks' counts. NULL with an exception. */
static PyObject *scan(ChunkCache *self, PyObject *text, int64_t *sums) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "tokens: str expected, got %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ChunkCache not initialized");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_INCREF(text); /* tokenize_chunk runs Python code; keep the text alive */
    Py_ssize_t i = 0;
    while (i < length) {
        while (i < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)))
            i++;
        if (i >= length)
            break;
        Py_ssize_t start = i;
        while (i < length && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)))
            i++;
        Py_ssize_t slot = chunk_slot(self, text, kind, data, start, i);
        if (slot < 0)
            goto fail;
        PyObject *tokens = self->slots[slot].tokens;
        Py_ssize_t n = PyTuple_GET_SIZE(tokens);
        for (Py_ssize_t k = 0; k < n; k++)
            if (PyList_Append(out, PyTuple_GET_ITEM(tokens, k)) < 0)
                goto fail;
        if (sums != NULL)
            for (int k = 0; k < self->width; k++)
                sums[k] += self->counts[slot * MAX_COUNTS + k];
    }
    Py_DECREF(text);
    return out;
fail:
    Py_DECREF(text);
    Py_DECREF(out);
    return NULL;
}

static PyObject *cache_tokens(ChunkCache *self, PyObject *text) { return scan(self, text, NULL); }

static PyObject *cache_tokens_counted(ChunkCache *self, PyObject *text) {
    if (self->count == Py_None) {
        PyErr_SetString(PyExc_ValueError, "tokens_counted: this ChunkCache has no count_tokens");
        return NULL;
    }
    int64_t sums[MAX_COUNTS] = {0};
    PyObject *tokens = scan(self, text, sums);
    if (tokens == NULL)
        return NULL;
    int width = self->width < 0 ? 0 : self->width;
    PyObject *totals = PyTuple_New(width);
    if (totals == NULL) {
        Py_DECREF(tokens);
        return NULL;
    }
    for (int k = 0; k < width; k++) {
        PyObject *value = PyLong_FromLongLong(sums[k]);
        if (value == NULL) {
            Py_DECREF(tokens);
            Py_DECREF(totals);
            return NULL;
        }
        PyTuple_SET_ITEM(totals, k, value);
    }
    return Py_BuildValue("(NN)", tokens, totals);
}

static PyObject *cache_clear(ChunkCache *self, PyObject *unused) {
    cache_clear_slots(self);
    Py_RETURN_NONE;
}

static Py_ssize_t cache_len(ChunkCache *self) { return self->count_of_chunks; }

static PyMethodDef cache_methods[] = {
    {"tokens", (PyCFunction)cache_tokens, METH_O,
     "tokens(text) -> list[str]: tokenize_chunk of every whitespace-delimited chunk, in order."},
    {"tokens_counted", (PyCFunction)cache_tokens_counted, METH_O,
     "tokens_counted(text) -> (tokens, sums): the tokens and, summed over the chunks, count_tokens(chunk tokens)."},
    {"clear", (PyCFunction)cache_clear, METH_NOARGS, "Forget every chunk."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods cache_as_sequence = {.sq_length = (lenfunc)cache_len};

static PyTypeObject ChunkCacheType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pretrain_clean.filters._chunks.ChunkCache",
    .tp_basicsize = sizeof(ChunkCache),
    .tp_dealloc = (destructor)cache_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ChunkCache(tokenize_chunk, max_chunks): tokens of texts, each chunk tokenized once.",
    .tp_methods = cache_methods,
    .tp_as_sequence = &cache_as_sequence,
    .tp_init = (initproc)cache_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_chunks",
                                    "Per-chunk token cache in C (see ChunkCache).", -1, NULL};

PyMODINIT_FUNC PyInit__chunks(void) {
    if (PyType_Ready(&ChunkCacheType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ChunkCacheType);
    if (PyModule_AddIntConstant(m, "VERSION", 2) < 0 || PyModule_AddObject(m, "ChunkCache", (PyObject *)&ChunkCacheType) < 0) {
        Py_DECREF(&ChunkCacheType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
