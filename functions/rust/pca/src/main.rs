//! pca as a WASI command: the event on stdin, the integration JSON on stdout.

fn main() {
    sluice_fn::command(pca_fn::Pca)
}
