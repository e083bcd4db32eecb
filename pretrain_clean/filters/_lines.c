/* Line passes of the FineWeb and Gopher rules in C: pretrain_clean.filters._lines.
 *
 * fineweb_counts(text, stops, short_length) -> (lines, punctuated, short, duplicate_chars, chunks)
 *   Over the non-blank lines of text.split("\n") (a line with a non-whitespace character),
 *   as written: their number, those whose last character is in the frozenset stops, those of at
 *   most short_length characters, the characters of the lines equal to an earlier one
 *   (filters/text_features.find_duplicates); and len(text.split()).
 *
 * gopher_duplicates(text) -> (paragraphs, repeated, repeated_chars, lines, repeated, repeated_chars)
 *   Gopher's duplicate paragraphs and lines: the items of re.split(r"\n{2,}", text.strip()) and of
 *   re.split(r"\n+", text), each with how many items equal an earlier item and their characters
 *   (filters/text_features.find_duplicates).
 *
 * Whitespace is str.strip()'s and str.split()'s (Py_UNICODE_ISSPACE); lengths are code
 * points. tests/test_line_passes.py compares each with the plain Python on every code point
 * and at each threshold. (C4's line pass is _c4.c.)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define READ(i) PyUnicode_READ(kind, data, (i))
#define SPACE(i) Py_UNICODE_ISSPACE(READ(i))

typedef struct {
    uint64_t hash;
    Py_ssize_t start, end; /* end == -1: empty slot */
} Seen;

/* Hash of the bytes data[start:end] (a line, in its text's kind), 8 bytes at a time. */
static uint64_t bytes_hash(const char *data, size_t start, size_t end) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (end - start);
    size_t i = start;
    for (; i + 8 <= end; i += 8) {
        uint64_t word;
        memcpy(&word, data + i, 8);
        h = (h ^ word) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, data + i, end - i);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

/* 1 when bytes data[start:end] were seen before (else they are recorded); table has a free slot. */
static int seen_before(Seen *table, size_t mask, const char *data, Py_ssize_t start, Py_ssize_t end) {
    uint64_t h = bytes_hash(data, (size_t)start, (size_t)end);
    size_t i = (size_t)h & mask;
    for (; table[i].end >= 0; i = (i + 1) & mask) {
        Seen *s = &table[i];
        if (s->hash == h && s->end - s->start == end - start && memcmp(data + start, data + s->start, (size_t)(end - start)) == 0)
            return 1;
    }
    table[i].hash = h;
    table[i].start = start;
    table[i].end = end;
    return 0;
}

/* Index of the first "\n" in text[start:length], or length. */
static Py_ssize_t find_newline(int kind, const void *data, Py_ssize_t start, Py_ssize_t length) {
    if (kind == PyUnicode_1BYTE_KIND) {
        const char *found = memchr((const char *)data + start, '\n', (size_t)(length - start));
        return found == NULL ? length : found - (const char *)data;
    }
    while (start < length && READ(start) != '\n')
        start++;
    return start;
}

/* An empty table for the lines (or paragraphs) of text, at most half full once they are in;
 * its size - 1 goes to *mask. NULL with MemoryError set when out of memory. */
static Seen *line_table(int kind, const void *data, Py_ssize_t length, size_t *mask) {
    size_t size = 16;
    for (Py_ssize_t i = find_newline(kind, data, 0, length); i < length; i = find_newline(kind, data, i + 1, length))
        size += 2; /* at most newlines + 1 items */
    size_t slots = 1;
    while (slots < size)
        slots <<= 1;
    Seen *table = PyMem_Malloc(slots * sizeof(Seen));
    if (table == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < slots; i++)
        table[i].end = -1;
    *mask = slots - 1;
    return table;
}

static PyObject *fineweb_counts(PyObject *self, PyObject *args) {
    PyObject *text, *stops;
    Py_ssize_t short_length;
    if (!PyArg_ParseTuple(args, "UO!n:fineweb_counts", &text, &PyFrozenSet_Type, &stops, &short_length)
        || PyUnicode_READY(text) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    size_t mask;
    Seen *table = line_table(kind, data, length, &mask);
    if (table == NULL)
        return NULL;
    Py_ssize_t lines = 0, punctuated = 0, short_lines = 0, duplicate_chars = 0, chunks = 0, start = 0;
    while (start <= length) {
        Py_ssize_t end = find_newline(kind, data, start, length), first = start;
        while (first < end && SPACE(first))
            first++;
        if (first < end) { /* not blank */
            lines++;
            int space = 1; /* chunks: each non-space after a space or the line's start */
            for (Py_ssize_t i = first; i < end; i++) {
                chunks += space && !SPACE(i);
                space = SPACE(i);
            }
            PyObject *last = PyUnicode_FromOrdinal(READ(end - 1)); /* cached for Latin-1 */
            int found = last == NULL ? -1 : PySet_Contains(stops, last);
            Py_XDECREF(last);
            if (found < 0) {
                PyMem_Free(table);
                return NULL;
            }
            punctuated += found;
            if (end - start <= short_length)
                short_lines++;
            if (seen_before(table, mask, data, start * kind, end * kind))
                duplicate_chars += end - start;
        }
        start = end + 1;
    }
    PyMem_Free(table);
    return Py_BuildValue("(nnnnn)", lines, punctuated, short_lines, duplicate_chars, chunks);
}

/* Items of text[start:end] split on runs of at least min_run "\n": their number, and how many
 * (and how many characters) repeat an earlier item. `table` holds mask + 1 slots, more than
 * twice the items. */
typedef struct {
    Py_ssize_t items, repeated, repeated_chars;
} Split;

static Split split_duplicates(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, Py_ssize_t min_run,
                              Seen *table, size_t mask) {
    Split out = {0, 0, 0};
    for (size_t i = 0; i <= mask; i++)
        table[i].end = -1;
    Py_ssize_t item = start, i = start;
    for (;;) {
        Py_ssize_t newline = find_newline(kind, data, i, end), run = newline;
        while (run < end && READ(run) == '\n')
            run++;
        if (newline == end || run - newline >= min_run) { /* the item [item, newline) ends here */
            out.items++;
            if (seen_before(table, mask, data, item * kind, newline * kind)) {
                out.repeated++;
                out.repeated_chars += newline - item;
            }
            if (newline == end)
                return out;
            item = run;
        }
        i = run;
    }
}

static PyObject *gopher_duplicates(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:gopher_duplicates", &text) || PyUnicode_READY(text) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), start = 0, end = length;
    size_t mask;
    Seen *table = line_table(kind, data, length, &mask);
    if (table == NULL)
        return NULL;
    while (start < end && SPACE(start))
        start++;
    while (end > start && SPACE(end - 1))
        end--;
    Split paragraphs = split_duplicates(kind, data, start, end, 2, table, mask);
    Split lines = split_duplicates(kind, data, 0, length, 1, table, mask);
    PyMem_Free(table);
    return Py_BuildValue("(nnnnnn)", paragraphs.items, paragraphs.repeated, paragraphs.repeated_chars, lines.items,
                         lines.repeated, lines.repeated_chars);
}

static PyMethodDef methods[] = {
    {"fineweb_counts", fineweb_counts, METH_VARARGS,
     "fineweb_counts(text, stops, short_length) -> (lines, punctuated, short, duplicate_chars, chunks): see the module doc."},
    {"gopher_duplicates", gopher_duplicates, METH_VARARGS,
     "gopher_duplicates(text) -> (paragraphs, repeated, chars, lines, repeated, chars): see the module doc."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lines", "FineWeb and Gopher line passes in C.", -1, methods};

PyMODINIT_FUNC PyInit__lines(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", 1) < 0)
        Py_CLEAR(m);
    return m;
}
