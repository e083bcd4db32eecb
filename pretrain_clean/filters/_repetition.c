/* Gopher n-gram repetition statistics in C: pretrain_clean.filters._repetition.
 *
 * ngram_stats(tokens, gaps, max_n) -> (top, dup), two lists indexed n - 2 for n = 2..max_n:
 *   top[n - 2]  characters of the most frequent n-gram times its count;
 *   dup[n - 2]  characters inside repeated n-grams found by datatrove's left-to-right scan
 *               (a repeat adds its characters and skips n words).
 * An n-gram's characters are its tokens' lengths plus, per join, one space (gaps is None,
 * datatrove's " ".join) or gaps[i] (the characters joining token i to token i + 1 as written;
 * then an n-gram seen once counts 0 as "top"). Among n-grams with the top count, the one
 * seen first wins (Counter.most_common). filters/ngrams.py documents the rules; the tests
 * compare every number with a plain-Python reference.
 *
 * n-grams are exact keys, never hashes: the key of an n-gram is the dense rank of the pair
 * (key of its (n-1)-gram prefix, id of its last token). An n-gram can only repeat where its
 * prefix repeats, so each n looks only at the positions still repeating at n - 1.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t pair;
    int32_t slot; /* -1: empty */
} Entry;

typedef struct {
    Py_ssize_t total;
    uint32_t *ids;
    int64_t *cumlen;  /* cumlen[i]: characters of tokens 0..i-1 */
    int64_t *cumgap;  /* cumgap[i]: joining characters of joins 0..i-1; NULL: one space per join */
    int32_t *pos;     /* positions still repeating, ascending */
    uint32_t *key;    /* their (n-1)-gram keys */
    uint32_t *newkey;
    int32_t *counts;  /* per slot */
    int32_t *first;   /* per slot: first position */
    unsigned char *seen;
    Entry *table;
    size_t table_size;
} Work;

static void work_free(Work *w) {
    PyMem_Free(w->ids); PyMem_Free(w->cumlen); PyMem_Free(w->cumgap); PyMem_Free(w->pos);
    PyMem_Free(w->key); PyMem_Free(w->newkey); PyMem_Free(w->counts); PyMem_Free(w->first);
    PyMem_Free(w->seen); PyMem_Free(w->table);
}

static inline uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Characters of the n-gram at `start` times `count`, as the top-n-gram rule counts them. */
static int64_t top_chars(const Work *w, Py_ssize_t start, int n, int64_t count) {
    int64_t chars = w->cumlen[start + n] - w->cumlen[start];
    if (w->cumgap == NULL)
        return (chars + n - 1) * count;
    if (count < 2)
        return 0;
    return (chars + w->cumgap[start + n - 1] - w->cumgap[start]) * count;
}

/* One n: counts the n-grams at the m candidate positions; returns the new candidate count
 * (the positions whose n-gram repeats) and fills *top and *dup. */
static Py_ssize_t step(Work *w, Py_ssize_t m, int n, int64_t *top, int64_t *dup) {
    size_t size = 16;
    while (size < 2 * (size_t)m)
        size <<= 1;
    size_t mask = size - 1;
    for (size_t i = 0; i < size; i++)
        w->table[i].slot = -1;
    int32_t slots = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t pair = ((uint64_t)w->key[i] << 32) | w->ids[w->pos[i] + n - 1];
        size_t h = (size_t)mix(pair) & mask;
        while (w->table[h].slot >= 0 && w->table[h].pair != pair)
            h = (h + 1) & mask;
        if (w->table[h].slot < 0) {
            w->table[h].pair = pair;
            w->table[h].slot = slots;
            w->counts[slots] = 0;
            w->first[slots] = w->pos[i];
            slots++;
        }
        int32_t slot = w->table[h].slot;
        w->counts[slot]++;
        w->newkey[i] = (uint32_t)slot;
    }
    int32_t best = 1, best_slot = -1;
    for (int32_t s = 0; s < slots; s++) {
        if (w->counts[s] > best) {
            best = w->counts[s];
            best_slot = s;
        }
    }
    *top = best_slot >= 0 ? top_chars(w, w->first[best_slot], n, best) : top_chars(w, 0, n, 1);
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (w->counts[w->newkey[i]] > 1) {
            w->pos[kept] = w->pos[i];
            w->key[kept] = w->newkey[i];
            kept++;
        }
    }
    memset(w->seen, 0, (size_t)slots);
    int64_t chars = 0;
    Py_ssize_t next = 0;
    for (Py_ssize_t i = 0; i < kept; i++) {
        Py_ssize_t p = w->pos[i];
        if (p < next)
            continue;
        uint32_t k = w->key[i];
        if (w->seen[k]) {
            chars += w->cumlen[p + n] - w->cumlen[p];
            next = p + n;
        } else {
            w->seen[k] = 1;
        }
    }
    *dup = chars;
    return kept;
}

/* Token -> dense id (first seen, first numbered) in a table keyed by the strings' cached hashes:
 * equal strings get one id, as a dict would give them, without a dict's objects. */
typedef struct {
    PyObject *token; /* NULL: empty */
    Py_hash_t hash;
    uint32_t id;
} Vocab;

static int same_text(PyObject *a, PyObject *b) {
    if (a == b)
        return 1;
    Py_ssize_t length = PyUnicode_GET_LENGTH(a);
    if (length != PyUnicode_GET_LENGTH(b) || PyUnicode_KIND(a) != PyUnicode_KIND(b))
        return 0; /* a ready str is stored in its narrowest kind: other kinds, other text */
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)length * PyUnicode_KIND(a)) == 0;
}

/* w->ids and w->cumlen of the `total` tokens; 0, or -1 with an exception. */
static int token_ids(Work *w, PyObject **items, Py_ssize_t total) {
    size_t size = 16;
    while (size < 2 * (size_t)total)
        size <<= 1;
    Vocab *vocab = PyMem_Calloc(size, sizeof(Vocab));
    if (vocab == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = size - 1;
    uint32_t next = 0;
    w->cumlen[0] = 0;
    for (Py_ssize_t i = 0; i < total; i++) {
        PyObject *token = items[i];
        if (!PyUnicode_Check(token) || PyUnicode_READY(token) < 0) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "tokens must be str, got %.100s", Py_TYPE(token)->tp_name);
            PyMem_Free(vocab);
            return -1;
        }
        Py_hash_t hash = PyObject_Hash(token); /* computed once per str, then cached in it */
        if (hash == -1) {
            PyMem_Free(vocab);
            return -1;
        }
        size_t j = (size_t)mix((uint64_t)hash) & mask;
        while (vocab[j].token != NULL && !(vocab[j].hash == hash && same_text(vocab[j].token, token)))
            j = (j + 1) & mask;
        if (vocab[j].token == NULL) {
            vocab[j].token = token; /* borrowed: the tokens sequence holds it */
            vocab[j].hash = hash;
            vocab[j].id = next++;
        }
        w->ids[i] = vocab[j].id;
        w->cumlen[i + 1] = w->cumlen[i] + PyUnicode_GET_LENGTH(token);
    }
    PyMem_Free(vocab);
    return 0;
}

/* Dense ids and lengths of the tokens; gaps' prefix sums. 0 on success, -1 with an exception. */
static int load(Work *w, PyObject *tokens, PyObject *gaps) {
    Py_ssize_t total = PySequence_Fast_GET_SIZE(tokens);
    PyObject **items = PySequence_Fast_ITEMS(tokens);
    size_t cells = (size_t)total + 1;
    w->total = total;
    w->ids = PyMem_Malloc(cells * sizeof(uint32_t));
    w->cumlen = PyMem_Malloc(cells * sizeof(int64_t));
    w->pos = PyMem_Malloc(cells * sizeof(int32_t));
    w->key = PyMem_Malloc(cells * sizeof(uint32_t));
    w->newkey = PyMem_Malloc(cells * sizeof(uint32_t));
    w->counts = PyMem_Malloc(cells * sizeof(int32_t));
    w->first = PyMem_Malloc(cells * sizeof(int32_t));
    w->seen = PyMem_Malloc(cells);
    w->table_size = 16;
    while (w->table_size < 2 * cells)
        w->table_size <<= 1;
    w->table = PyMem_Malloc(w->table_size * sizeof(Entry));
    if (!w->ids || !w->cumlen || !w->pos || !w->key || !w->newkey || !w->counts || !w->first ||
        !w->seen || !w->table) {
        PyErr_NoMemory();
        return -1;
    }
    if (token_ids(w, items, total) < 0)
        return -1;
    if (gaps == Py_None)
        return 0;
    PyObject *seq = PySequence_Fast(gaps, "gaps must be a sequence of int or None");
    if (seq == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    if (count != (total > 0 ? total - 1 : 0)) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "gaps: %zd values for %zd tokens (need one per join)", count, total);
        return -1;
    }
    w->cumgap = PyMem_Malloc(cells * sizeof(int64_t));
    if (w->cumgap == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    w->cumgap[0] = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        long long gap = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        if (gap == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        w->cumgap[i + 1] = w->cumgap[i] + gap;
    }
    Py_DECREF(seq);
    return 0;
}

static PyObject *ngram_stats(PyObject *self, PyObject *args) {
    PyObject *tokens_arg, *gaps;
    int max_n;
    if (!PyArg_ParseTuple(args, "OOi:ngram_stats", &tokens_arg, &gaps, &max_n))
        return NULL;
    if (max_n < 2)
        return Py_BuildValue("([][])");
    PyObject *tokens = PySequence_Fast(tokens_arg, "tokens must be a sequence of str");
    if (tokens == NULL)
        return NULL;
    if (PySequence_Fast_GET_SIZE(tokens) >= INT32_MAX) {
        Py_DECREF(tokens);
        PyErr_SetString(PyExc_ValueError, "ngram_stats: too many tokens (2**31 or more)");
        return NULL;
    }
    Work w;
    memset(&w, 0, sizeof(w));
    PyObject *top = NULL, *dup = NULL;
    if (load(&w, tokens, gaps) < 0)
        goto done;
    top = PyList_New(max_n - 1);
    dup = PyList_New(max_n - 1);
    if (top == NULL || dup == NULL)
        goto fail;
    Py_ssize_t total = w.total, m = total;
    for (Py_ssize_t i = 0; i < total; i++) {
        w.pos[i] = (int32_t)i;
        w.key[i] = w.ids[i];
    }
    for (int n = 2; n <= max_n; n++) {
        int64_t t = 0, d = 0;
        if (total >= n) {
            while (m > 0 && w.pos[m - 1] + n > total)
                m--;
            if (m == 0)
                t = top_chars(&w, 0, n, 1);
            else
                m = step(&w, m, n, &t, &d);
        }
        PyObject *a = PyLong_FromLongLong(t), *b = PyLong_FromLongLong(d);
        if (a == NULL || b == NULL) {
            Py_XDECREF(a);
            Py_XDECREF(b);
            goto fail;
        }
        PyList_SET_ITEM(top, n - 2, a);
        PyList_SET_ITEM(dup, n - 2, b);
    }
    goto done;
fail:
    Py_CLEAR(top);
    Py_CLEAR(dup);
done:
    work_free(&w);
    Py_DECREF(tokens);
    if (top == NULL)
        return NULL;
    return Py_BuildValue("(NN)", top, dup);
}

static PyMethodDef methods[] = {
    {"ngram_stats", ngram_stats, METH_VARARGS,
     "ngram_stats(tokens, gaps, max_n) -> (top, dup): Gopher n-gram characters for n = 2..max_n."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_repetition",
                                    "Gopher n-gram repetition statistics in C.", -1, methods};

PyMODINIT_FUNC PyInit__repetition(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", 2) < 0)
        Py_CLEAR(m);
    return m;
}
