// Placeholder until the Engine.IO layer lands (issue 4).
