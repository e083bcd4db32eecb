/* collapse_whitespace(text) == " ".join(text.split()), without the list of words:
 * pretrain_clean.dedup._whitespace. Whitespace is str.split()'s (Py_UNICODE_ISSPACE).
 * Exact dedup keys normalize every document this way (dedup/exact.py). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define COLLAPSE(TYPE)                                                  \
    {                                                                   \
        const TYPE *in = (const TYPE *)data;                            \
        TYPE *out = (TYPE *)buffer;                                     \
        for (Py_ssize_t i = 0; i < length; i++) {                       \
            Py_UCS4 ch = in[i];                                         \
            if (Py_UNICODE_ISSPACE(ch)) {                               \
                pending = size > 0;                                     \
            } else {                                                    \
                if (pending) {                                          \
                    out[size++] = ' ';                                  \
                    pending = 0;                                        \
                }                                                       \
                out[size++] = (TYPE)ch;                                 \
            }                                                           \
        }                                                               \
    }

static PyObject *collapse_whitespace(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "collapse_whitespace: str expected, got %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    void *buffer = PyMem_Malloc((size_t)(length > 0 ? length : 1) * kind);
    if (buffer == NULL)
        return PyErr_NoMemory();
    Py_ssize_t size = 0;
    int pending = 0;
    if (kind == PyUnicode_1BYTE_KIND)
        COLLAPSE(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        COLLAPSE(Py_UCS2)
    else
        COLLAPSE(Py_UCS4)
    PyObject *result = PyUnicode_FromKindAndData(kind, buffer, size); /* compact: narrowest kind */
    PyMem_Free(buffer);
    return result;
}

static PyMethodDef methods[] = {
    {"collapse_whitespace", collapse_whitespace, METH_O,
     "collapse_whitespace(text) -> str: ' '.join(text.split()), in one pass."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_whitespace",
                                    "Whitespace collapsing in C for exact dedup keys.", -1, methods};

PyMODINIT_FUNC PyInit__whitespace(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", 1) < 0)
        Py_CLEAR(m);
    return m;
}
