"""ConnectWise callbacks: registration, signature verification and the receiving route."""
