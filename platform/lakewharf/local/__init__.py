"""Running the generated pipelines on a laptop: lake and warehouse backends, the sample source
systems, the Azurite emulator, and the executor that plays Data Factory's activities for real."""
