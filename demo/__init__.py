"""The demo consortium: composes every app's demo fill. The only app that knows them all."""
