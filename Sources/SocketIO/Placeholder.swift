// Placeholder until the Socket.IO layer lands (issue 4).
