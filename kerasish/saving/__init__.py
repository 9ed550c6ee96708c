"""Everything that crosses the Keras-file boundary: layouts, configs and file formats."""
