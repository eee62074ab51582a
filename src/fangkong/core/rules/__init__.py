"""Command rules (issue 5), pure: response levels, risk zoning, aberration detection,
data-quality signals, reporting deadlines and directive states."""
