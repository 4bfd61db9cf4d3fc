"""The service layer: the functions every face (CLI, web app, reports) calls.

Each function takes a workspace and plain arguments, validates them, runs the lower layers
(data, benchmark, model, costs, scenarios, placements) and returns the tidy frames a face
renders. Faces parse arguments and render; they never fit a model or do cost arithmetic,
so a council sees one number for one question wherever it asks.
"""
