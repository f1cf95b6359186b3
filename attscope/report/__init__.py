"""`attscope report`: one self-contained HTML file of a capture's link health."""
