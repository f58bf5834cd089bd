//! anomaly as a WASI command: `--period 24 --alpha 0.05 < window.json`.

fn main() {
    sluice_fn::command(anomaly_fn::Anomaly::default())
}
