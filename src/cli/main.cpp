// PLACEHOLDER: the CLI lands with the compiler.
int main() { return 0; }
