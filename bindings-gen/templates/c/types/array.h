/* {{ description }} */
typedef struct {{ name }} {
    {{ elem }} *data;
    size_t len;
} {{ name }};
