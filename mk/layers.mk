# The layers (docs/architecture.md): `make layers` fails when an #include goes the wrong way,
# or a layer's library uses a symbol that only a layer to its right defines.
.PHONY: layers
layers: $(LAYER_LIBS)
	@bash tests/layers/check.sh $(BUILD)

CHECK_TARGETS += layers
