"""zhtj-rpa: batch 团组织关系 transfers in 网上共青团·智慧团建, driven in a real browser."""

__version__ = "0.1.0"
