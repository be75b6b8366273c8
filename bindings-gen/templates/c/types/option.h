/* {{ description }} */
typedef struct {{ name }} {
    bool has_value;
    {{ elem }} value;
} {{ name }};
