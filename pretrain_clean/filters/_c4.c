/* C4's line pass in C: pretrain_clean.filters._c4.
 *
 * c4_keep(lines, max_word, min_words, punct, cut, lorem, javascript, policies) -> (kept, lorem, curly)
 *   C4's line pass, in datatrove's order of checks. For each line i: line = lines[i].strip();
 *   dropped when max_word >= 0 and a whitespace-separated word is longer than max_word; with
 *   cut, citations ("[12]", "[edit]", "[citation needed]") are cut from it; dropped when punct
 *   and it does not end with . ? ! " ' or ends with "..."; when min_words > 0 and it had fewer
 *   whitespace-separated words before the cut. Then lorem is True once such a line's lower
 *   case holds one of the phrases of the tuple lorem (ASCII lower-case bytes); it is dropped
 *   when it holds one of javascript's; curly is True once such a line holds "{"; it is dropped
 *   when it holds one of policies'; else (i, line) is appended to kept.
 *
 * Whitespace is str.strip()'s and str.split()'s (Py_UNICODE_ISSPACE); lengths are code points;
 * phrases are looked for in str.lower() exactly (see `fold`). tests/test_line_passes.py
 * compares it with the plain Python loop on every code point at the line ends, in a citation
 * and in a phrase, and at each threshold.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define READ(i) PyUnicode_READ(kind, data, (i))
#define SPACE(i) Py_UNICODE_ISSPACE(READ(i))

/* Longest whitespace-separated word of text[start:end], stopping once above `limit`. */
static Py_ssize_t longest_word(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, Py_ssize_t limit) {
    Py_ssize_t longest = 0, i = start;
    while (i < end) {
        while (i < end && SPACE(i))
            i++;
        Py_ssize_t word = i;
        while (i < end && !SPACE(i))
            i++;
        if (i - word > longest && (longest = i - word) > limit)
            break;
    }
    return longest;
}

/* Whitespace-separated words of text[start:end], counting no further than `limit`. */
static Py_ssize_t count_words(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, Py_ssize_t limit) {
    Py_ssize_t words = 0, i = start;
    while (i < end && words < limit) {
        while (i < end && SPACE(i))
            i++;
        if (i == end)
            break;
        words++;
        while (i < end && !SPACE(i))
            i++;
    }
    return words;
}

static int c4_ends_sentence(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    if (end == start)
        return 0;
    Py_UCS4 last = READ(end - 1);
    if (last != '.' && last != '?' && last != '!' && last != '"' && last != '\'')
        return 0;
    return !(end - start >= 3 && last == '.' && READ(end - 2) == '.' && READ(end - 3) == '.');
}

/* A code point as it reads in str.lower() when looking for ASCII phrases: A-Z lower-cased and the
 * Kelvin sign K as "k" (the only other code points whose lower case holds an ASCII character
 * are these and U+0130, which lowers to "i" + U+0307: see `phrase_at`); others as they are. */
static Py_UCS4 fold(Py_UCS4 ch) {
    if (ch >= 'A' && ch <= 'Z')
        return ch + 32;
    return ch == 0x212A ? 'k' : ch;
}

/* 1 when the lower-cased text[i:end] starts with the ASCII lower-case `phrase`. */
static int phrase_at(int kind, const void *data, Py_ssize_t i, Py_ssize_t end, const char *phrase, Py_ssize_t size) {
    if (end - i < size)
        return 0;
    for (Py_ssize_t k = 0; k < size; k++) {
        Py_UCS4 ch = READ(i + k);
        if (ch == 0x130) { /* U+0130 lowers to "i" + U+0307: it matches an "i" only at the phrase's end */
            if (phrase[k] != 'i' || k != size - 1)
                return 0;
        } else if (fold(ch) != (Py_UCS4)(unsigned char)phrase[k]) {
            return 0;
        }
    }
    return 1;
}

/* 1 when `phrase` (an ASCII lower-case bytes object) is in str.lower() of text[start:end]. */
static int contains_lower(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, PyObject *phrase) {
    const char *p = PyBytes_AS_STRING(phrase);
    Py_ssize_t size = PyBytes_GET_SIZE(phrase);
    if (size == 0)
        return 1;
    for (Py_ssize_t i = start; i + size <= end; i++)
        if (phrase_at(kind, data, i, end, p, size))
            return 1;
    return 0;
}

/* A citation C4 cuts at text[i] ("[" digits* "]", "[edit]", "[citation needed]", as the regex
 * \[\d*]|\[edit]|\[citation needed] tries them): its length, or 0. */
static Py_ssize_t citation_at(int kind, const void *data, Py_ssize_t i, Py_ssize_t end) {
    if (READ(i) != '[')
        return 0;
    Py_ssize_t k = i + 1;
    while (k < end && Py_UNICODE_ISDECIMAL(READ(k)))
        k++;
    if (k < end && READ(k) == ']')
        return k + 1 - i;
    static const char *words[] = {"edit]", "citation needed]"};
    for (int w = 0; w < 2; w++) {
        Py_ssize_t size = (Py_ssize_t)strlen(words[w]);
        if (end - i - 1 >= size) {
            Py_ssize_t j = 0;
            while (j < size && READ(i + 1 + j) == (Py_UCS4)words[w][j])
                j++;
            if (j == size)
                return size + 1;
        }
    }
    return 0;
}

/* text[start:end] with C4's citations cut (a new reference), as CITATION_RE.sub("", ...). */
static PyObject *cut_citations(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return NULL;
    Py_ssize_t kept = start, i = start;
    while (i < end) {
        Py_ssize_t size = citation_at(kind, data, i, end);
        if (size == 0) {
            i++;
            continue;
        }
        PyObject *part = PyUnicode_Substring(text, kept, i);
        if (part == NULL || PyList_Append(parts, part) < 0) {
            Py_XDECREF(part);
            Py_DECREF(parts);
            return NULL;
        }
        Py_DECREF(part);
        i += size;
        kept = i;
    }
    PyObject *part = PyUnicode_Substring(text, kept, end);
    if (part == NULL || PyList_Append(parts, part) < 0) {
        Py_XDECREF(part);
        Py_DECREF(parts);
        return NULL;
    }
    Py_DECREF(part);
    PyObject *empty = PyUnicode_New(0, 0);
    PyObject *joined = empty == NULL ? NULL : PyUnicode_Join(empty, parts); /* the narrowest kind, as re.sub gives */
    Py_XDECREF(empty);
    Py_DECREF(parts);
    return joined;
}

/* A line as the phrase search reads it: str.lower() of the line as bytes, each non-ASCII
 * character as the byte 0xFF (no ASCII phrase holds it), built on first use (see `fold`). */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t length;
    unsigned char *folded; /* NULL until needed, or when out of memory: then read in place */
    size_t size;
    unsigned char small[2048];
} Line;

static void fold_line(Line *line) {
    size_t most = 2 * (size_t)line->length; /* U+0130 lowers to two characters */
    line->folded = most <= sizeof(line->small) ? line->small : PyMem_Malloc(most ? most : 1);
    if (line->folded == NULL)
        return;
    size_t out = 0;
    for (Py_ssize_t i = 0; i < line->length; i++) {
        Py_UCS4 ch = PyUnicode_READ(line->kind, line->data, i);
        if (ch == 0x130) { /* "i" + U+0307 */
            line->folded[out++] = 'i';
            line->folded[out++] = 0xFF;
        } else {
            ch = fold(ch);
            line->folded[out++] = ch < 128 ? (unsigned char)ch : 0xFF;
        }
    }
    line->size = out;
}

#define MAX_PHRASES 8

/* An ASCII lower-case phrase with its Horspool shifts (a byte not in the phrase skips its length). */
typedef struct {
    PyObject *bytes;
    const unsigned char *text;
    size_t size;
    unsigned char shift[256];
} Needle;

static void needle_init(Needle *n, PyObject *bytes) {
    n->bytes = bytes;
    n->text = (const unsigned char *)PyBytes_AS_STRING(bytes);
    n->size = (size_t)PyBytes_GET_SIZE(bytes);
    size_t far = n->size < 255 ? n->size : 255;
    memset(n->shift, (int)(far ? far : 1), sizeof(n->shift));
    for (size_t i = 0; i + 1 < n->size; i++)
        n->shift[n->text[i]] = (unsigned char)(n->size - 1 - i < far ? n->size - 1 - i : far);
}

static int horspool(const unsigned char *hay, size_t length, const Needle *n) {
    size_t m = n->size;
    if (m == 0)
        return 1;
    for (size_t i = 0; i + m <= length; i += n->shift[hay[i + m - 1]])
        if (hay[i + m - 1] == n->text[m - 1] && memcmp(hay + i, n->text, m - 1) == 0)
            return 1;
    return 0;
}

/* 1 when one of `count` needles is in str.lower() of the line. */
static int contains_any(Line *line, const Needle *needles, int count) {
    if (count == 0)
        return 0;
    if (line->folded == NULL)
        fold_line(line);
    for (int k = 0; k < count; k++) {
        if (line->folded != NULL ? horspool(line->folded, line->size, &needles[k])
                                 : contains_lower(line->kind, line->data, 0, line->length, needles[k].bytes))
            return 1;
    }
    return 0;
}

/* The tuple `phrases` checked (at most MAX_PHRASES ASCII lower-case bytes) into `needles`; -1 on error. */
static int check_phrases(PyObject *phrases, const char *what, Needle *needles) {
    if (PyTuple_GET_SIZE(phrases) > MAX_PHRASES) {
        PyErr_Format(PyExc_ValueError, "c4_keep: %s: at most %d phrases", what, MAX_PHRASES);
        return -1;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(phrases); k++) {
        PyObject *p = PyTuple_GET_ITEM(phrases, k);
        if (!PyBytes_Check(p)) {
            PyErr_Format(PyExc_TypeError, "c4_keep: %s must be a tuple of bytes", what);
            return -1;
        }
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(p); i++) {
            unsigned char ch = (unsigned char)PyBytes_AS_STRING(p)[i];
            if (ch > 127 || (ch >= 'A' && ch <= 'Z')) {
                PyErr_Format(PyExc_ValueError, "c4_keep: %s must be ASCII lower case", what);
                return -1;
            }
        }
        needle_init(&needles[k], p);
    }
    return 0;
}

static PyObject *c4_keep(PyObject *self, PyObject *args) {
    PyObject *lines, *lorem, *javascript, *policies;
    Py_ssize_t max_word, min_words;
    int punct, cut;
    Needle lorem_n[MAX_PHRASES], javascript_n[MAX_PHRASES], policies_n[MAX_PHRASES];
    if (!PyArg_ParseTuple(args, "O!nnppO!O!O!:c4_keep", &PyList_Type, &lines, &max_word, &min_words, &punct, &cut,
                          &PyTuple_Type, &lorem, &PyTuple_Type, &javascript, &PyTuple_Type, &policies)
        || check_phrases(lorem, "lorem", lorem_n) < 0 || check_phrases(javascript, "javascript", javascript_n) < 0
        || check_phrases(policies, "policies", policies_n) < 0)
        return NULL;
    int lorem_count = (int)PyTuple_GET_SIZE(lorem), javascript_count = (int)PyTuple_GET_SIZE(javascript),
        policies_count = (int)PyTuple_GET_SIZE(policies);
    if (max_word < -1) {
        PyErr_SetString(PyExc_ValueError, "c4_keep: max_word is -1 (off) or at least 0");
        return NULL;
    }
    PyObject *kept = PyList_New(0);
    if (kept == NULL)
        return NULL;
    int found_lorem = 0, curly = 0;
    for (Py_ssize_t index = 0; index < PyList_GET_SIZE(lines); index++) {
        PyObject *raw = PyList_GET_ITEM(lines, index);
        if (!PyUnicode_Check(raw)) {
            PyErr_Format(PyExc_TypeError, "c4_keep: line %zd is %.100s, not str", index, Py_TYPE(raw)->tp_name);
            goto fail;
        }
        if (PyUnicode_READY(raw) < 0)
            goto fail;
        int kind = PyUnicode_KIND(raw);
        const void *data = PyUnicode_DATA(raw);
        Py_ssize_t start = 0, end = PyUnicode_GET_LENGTH(raw);
        while (start < end && SPACE(start))
            start++;
        while (end > start && SPACE(end - 1))
            end--;
        if (max_word >= 0 && end - start > max_word && longest_word(kind, data, start, end, max_word) > max_word)
            continue;
        PyObject *line; /* the stripped line, citations cut */
        if (cut && PyUnicode_FindChar(raw, '[', start, end, 1) >= 0)
            line = cut_citations(raw, kind, data, start, end);
        else
            line = PyUnicode_Substring(raw, start, end);
        if (line == NULL)
            goto fail;
        Line read; /* `small` is written only as needed */
        read.kind = PyUnicode_KIND(line);
        read.data = PyUnicode_DATA(line);
        read.length = PyUnicode_GET_LENGTH(line);
        read.folded = NULL;
        int keep = !(punct && !c4_ends_sentence(read.kind, read.data, 0, read.length))
                   && !(min_words > 0 && count_words(kind, data, start, end, min_words) < min_words); /* before the cut */
        if (keep) {
            found_lorem = found_lorem || contains_any(&read, lorem_n, lorem_count);
            keep = !contains_any(&read, javascript_n, javascript_count);
        }
        if (keep) {
            curly = curly || PyUnicode_FindChar(line, '{', 0, read.length, 1) >= 0;
            keep = !contains_any(&read, policies_n, policies_count);
        }
        if (read.folded != NULL && read.folded != read.small)
            PyMem_Free(read.folded);
        if (keep) {
            PyObject *pair = Py_BuildValue("(nO)", index, line);
            if (pair == NULL || PyList_Append(kept, pair) < 0) {
                Py_XDECREF(pair);
                Py_DECREF(line);
                goto fail;
            }
            Py_DECREF(pair);
        }
        Py_DECREF(line);
    }
    return Py_BuildValue("(NOO)", kept, found_lorem ? Py_True : Py_False, curly ? Py_True : Py_False);
fail:
    Py_DECREF(kept);
    return NULL;
}

static PyMethodDef methods[] = {
    {"c4_keep", c4_keep, METH_VARARGS,
     "c4_keep(lines, max_word, min_words, punct, cut, lorem, javascript, policies) -> (kept, lorem, curly): see the module doc."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_c4", "C4's line pass in C.", -1, methods};

PyMODINIT_FUNC PyInit__c4(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", 1) < 0)
        Py_CLEAR(m);
    return m;
}
